import type { FastifyRequest } from 'fastify'
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import { FinOptionsError } from '../errors.js'
import { resolveOAuthOptions, type FinOAuthOptions, type ResolvedOAuthOptions } from './oauth.js'
import { resolveSignatureOptions, type FinSignatureOptions, type ResolvedSignatureOptions } from './signature.js'

/** Decides whether a bearer token is valid; may look it up anywhere. A throw is logged and answered 401. */
export type FinTokenVerifier = (token: string, request: FastifyRequest) => boolean | Promise<boolean>

export interface FinRateLimitOptions {
  /** Requests per client and window: 200 a second, twice a busy helpdesk's peak (docs/options.md). @default 12000 */
  max?: number
  /** Window length in milliseconds, or a string such as '1 minute'. @default 60000 */
  timeWindow?: number | string
  /** A @fastify/rate-limit store class, for a limit shared by several instances. */
  store?: FastifyRateLimitStoreCtor
  /** An ioredis client: @fastify/rate-limit then keeps the counters in Redis. */
  redis?: object
  /** Key prefix in Redis. @default 'fin-rate-limit-' */
  nameSpace?: string
  /**
   * When the store (Redis) fails: true lets requests through unlimited (fail open), false answers 503
   * FIN_ERR_RATE_LIMIT_UNAVAILABLE (fail closed). @default true
   */
  skipOnError?: boolean
}

export interface FinAuthFailureLimitOptions {
  /** Failed authentications per IP and window before that IP is answered 429. @default 20 */
  max?: number
  /** Window length in milliseconds. @default 60000 */
  timeWindow?: number
}

/** The options of who may call the Fin routes, and how often: part of FinHelpdeskOptions. */
export interface FinAuthOptions {
  /** Accepted bearer tokens, each at least 16 characters; several at once, so that a token can be rotated. */
  tokens?: string | string[]
  /** A verifier for tokens that are not in `tokens` (e.g. looked up in a database). */
  verifyToken?: FinTokenVerifier
  /** Rate limit per authenticated client (a token fingerprint, or the OAuth client), or false. @default { max: 12000, timeWindow: 60000 } */
  rateLimit?: false | FinRateLimitOptions
  /** Limit on failed authentications per IP, or false. @default { max: 20, timeWindow: 60000 } */
  authFailureLimit?: false | FinAuthFailureLimitOptions
  /**
   * Mounts an OAuth 2.0 client-credentials token endpoint (`{prefix}/oauth/token`): the "two-legged OAuth" Fin uses.
   * The Fin routes then accept its tokens too. See docs/authentication.md.
   */
  oauth?: FinOAuthOptions
  /** Verifies Fin's request signatures (X-Fin-Signature); requests without a valid one get 401. Off by default. */
  signature?: FinSignatureOptions
}

export interface ResolvedAuthOptions {
  /** The integration's name: it scopes rate-limit keys and OAuth audiences. */
  name: string
  tokens: string[]
  verifyToken: FinTokenVerifier | undefined
  rateLimit: false | (FinRateLimitOptions & { max: number, timeWindow: number | string })
  authFailureLimit: false | Required<FinAuthFailureLimitOptions>
  oauth: ResolvedOAuthOptions | undefined
  signature: ResolvedSignatureOptions | undefined
}

/**
 * The shortest static token or signing secret accepted: shorter ones are refused at register time. 16 characters are
 * out of anyone's reach to guess through a rate limit; 32 random bytes are what to use. (OAuth client secrets: the same.)
 */
export const MIN_SECRET_LENGTH = 16

export const DEFAULT_RATE_LIMIT = { max: 12_000, timeWindow: 60_000, skipOnError: true }
export const DEFAULT_AUTH_FAILURE_LIMIT = { max: 20, timeWindow: 60_000 }

/** Checks and completes the auth options; builds nothing (the plugin makes the token issuer and signature check). */
export function resolveAuthOptions (options: FinAuthOptions, name: string): ResolvedAuthOptions {
  const tokens = options.tokens === undefined ? [] : [options.tokens].flat()
  if (tokens.some((token) => typeof token !== 'string' || token.length < MIN_SECRET_LENGTH)) {
    throw new FinOptionsError(`tokens must have at least ${MIN_SECRET_LENGTH} characters each`)
  }
  if (options.verifyToken !== undefined && typeof options.verifyToken !== 'function') {
    throw new FinOptionsError('verifyToken must be a function')
  }
  if (tokens.length === 0 && options.verifyToken === undefined && options.oauth === undefined) {
    throw new FinOptionsError('give `tokens`, `verifyToken` or `oauth`: Fin authenticates every request with a bearer token')
  }
  return {
    name,
    tokens: [...new Set(tokens)],
    verifyToken: options.verifyToken,
    rateLimit: options.rateLimit === false ? false : resolveLimit('rateLimit', { ...DEFAULT_RATE_LIMIT, ...options.rateLimit }),
    authFailureLimit: options.authFailureLimit === false
      ? false
      : resolveLimit('authFailureLimit', { ...DEFAULT_AUTH_FAILURE_LIMIT, ...options.authFailureLimit }),
    oauth: options.oauth === undefined ? undefined : resolveOAuthOptions(options.oauth, name),
    signature: options.signature === undefined ? undefined : resolveSignatureOptions(options.signature)
  }
}

function resolveLimit<T extends { max: number, timeWindow: number | string }> (option: string, limit: T): T {
  if (!Number.isInteger(limit.max) || limit.max <= 0) throw new FinOptionsError(`${option}.max must be a positive integer`)
  if (typeof limit.timeWindow === 'number' && !(limit.timeWindow > 0)) {
    throw new FinOptionsError(`${option}.timeWindow must be positive`)
  }
  return limit
}
