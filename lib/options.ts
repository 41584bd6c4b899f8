import type { FastifyRequest } from 'fastify'
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import { FinOptionsError } from './errors.js'
import { createSanitizer, type SanitizeOption } from './html.js'
import { OPERATIONS, POSTS_ONLY_PATHS, STANDARD_ROUTES, type OperationName } from './operations.js'
import type { FinStorage } from './storage/types.js'
import { STORAGE_METHODS } from './storage/guard.js'
import { OAuthTokens, type FinOAuthOptions } from './auth/oauth.js'
import { createSignatureCheck, type FinSignatureOptions, type SignatureCheck } from './auth/signature.js'
import { resolveNotifyOptions, type FinNotifyOptions, type ResolvedNotifyOptions } from './notify/options.js'
import { resolveAttributeLimits, type AttributeLimits, type FinAttributeLimits } from './storage/attributes.js'

export type FinVariant = 'standard' | 'posts-only' | 'both'

/** Decides whether a bearer token is valid; may look it up anywhere. A throw is logged and answered 401. */
export type FinTokenVerifier = (token: string, request: FastifyRequest) => boolean | Promise<boolean>

export interface FinRateLimitOptions {
  /** Requests per client and window. @default 1200 */
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

export interface FinHelpdeskOptions {
  /**
   * Names this integration, so one app can serve several Fin integrations (one per brand), each registered under
   * its own prefix: `fastify.fin.get(name)`. @default 'default'
   */
  name?: string
  /** Accepted bearer tokens; several at once, so that a token can be rotated. */
  tokens?: string | string[]
  /** A verifier for tokens that are not in `tokens` (e.g. looked up in a database). */
  verifyToken?: FinTokenVerifier
  /** Where users, agents, conversations and messages are kept. @default new MemoryStorage() */
  storage?: FinStorage
  /** Which API variant to mount: 'standard', 'posts-only' or 'both'. @default 'both' */
  variant?: FinVariant
  /** Renames operations' paths (Fin lets each helpdesk choose its URLs), per variant. @default the documented paths */
  paths?: {
    standard?: Partial<Record<OperationName, string>>
    postsOnly?: Partial<Record<OperationName, string>>
  }
  /** How message bodies are cleaned: 'sanitize' (Fin's HTML subset), 'passthrough', or a function. @default 'sanitize' */
  sanitize?: SanitizeOption
  /** Rate limit per authenticated client (keyed on the token, not the IP), or false. @default { max: 1200, timeWindow: 60000 } */
  rateLimit?: false | FinRateLimitOptions
  /** Limit on failed authentications per IP, or false. @default { max: 20, timeWindow: 60000 } */
  authFailureLimit?: false | FinAuthFailureLimitOptions
  /** Largest accepted request body in bytes; larger ones are answered 413. @default 1048576 */
  bodyLimit?: number
  /**
   * Bounds on a user's or conversation's stored `attributes` after a merge (400 FIN_ERR_ATTRIBUTES_TOO_LARGE,
   * nothing written), or false for none. @default { maxKeys: 500, maxBytes: 131072 }
   */
  attributeLimits?: false | FinAttributeLimits
  /** Turns on `fastify.notifyFin()` for this integration: where and how to call Fin's webhook. */
  notify?: FinNotifyOptions
  /**
   * Mounts an OAuth 2.0 client-credentials token endpoint (`{prefix}/oauth/token`): the "two-legged OAuth" Fin uses.
   * The Fin routes then accept its tokens too. See docs/authentication.md.
   */
  oauth?: FinOAuthOptions
  /** Verifies Fin's request signatures (X-Fin-Signature); requests without a valid one get 401. Off by default. */
  signature?: FinSignatureOptions
}

export interface ResolvedRoute {
  operation: OperationName
  variant: 'standard' | 'posts-only'
  method: 'GET' | 'PUT' | 'POST'
  path: string
}

export interface ResolvedOptions {
  name: string
  tokens: string[]
  verifyToken: FinTokenVerifier | undefined
  storage: FinStorage | undefined
  routes: ResolvedRoute[]
  sanitize: (html: string) => string
  rateLimit: false | (FinRateLimitOptions & { max: number, timeWindow: number | string })
  authFailureLimit: false | Required<FinAuthFailureLimitOptions>
  bodyLimit: number
  attributeLimits: AttributeLimits | undefined
  notify: ResolvedNotifyOptions | undefined
  oauth: OAuthTokens | undefined
  signature: SignatureCheck | undefined
}

export const DEFAULT_RATE_LIMIT = { max: 1200, timeWindow: 60_000, skipOnError: true }
export const DEFAULT_AUTH_FAILURE_LIMIT = { max: 20, timeWindow: 60_000 }
export const DEFAULT_BODY_LIMIT = 1024 * 1024

const NAME = /^[A-Za-z0-9_-]{1,64}$/
const PATH = /^\/[A-Za-z0-9_\-/.~:]*$/

/** Checks and completes the options once, at register time; never changes its input. */
export function resolveOptions (options: FinHelpdeskOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new FinOptionsError('options must be an object')
  const name = options.name ?? 'default'
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new FinOptionsError('name must be 1-64 letters, digits, "_" or "-"')
  }
  const tokens = options.tokens === undefined ? [] : [options.tokens].flat()
  if (tokens.some((token) => typeof token !== 'string' || token.length === 0)) {
    throw new FinOptionsError('tokens must be non-empty strings')
  }
  if (options.verifyToken !== undefined && typeof options.verifyToken !== 'function') {
    throw new FinOptionsError('verifyToken must be a function')
  }
  if (tokens.length === 0 && options.verifyToken === undefined && options.oauth === undefined) {
    throw new FinOptionsError('give `tokens`, `verifyToken` or `oauth`: Fin authenticates every request with a bearer token')
  }
  const sanitize = options.sanitize ?? 'sanitize'
  if (typeof sanitize !== 'function' && sanitize !== 'sanitize' && sanitize !== 'passthrough') {
    throw new FinOptionsError('sanitize must be "sanitize", "passthrough" or a function')
  }
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 0) throw new FinOptionsError('bodyLimit must be a positive integer')
  const routes = resolveRoutes(options.variant ?? 'both', options.paths ?? {})
  const oauth = options.oauth === undefined ? undefined : new OAuthTokens(options.oauth, name)
  if (oauth !== undefined && routes.some((route) => route.method === 'POST' && route.path === oauth.path)) {
    throw new FinOptionsError(`oauth.path ${oauth.path} is also the path of a Fin operation`)
  }
  return {
    name,
    tokens: [...new Set(tokens)],
    verifyToken: options.verifyToken,
    storage: resolveStorage(options.storage),
    routes,
    sanitize: createSanitizer(sanitize),
    rateLimit: options.rateLimit === false ? false : resolveLimit('rateLimit', { ...DEFAULT_RATE_LIMIT, ...options.rateLimit }),
    authFailureLimit: options.authFailureLimit === false
      ? false
      : resolveLimit('authFailureLimit', { ...DEFAULT_AUTH_FAILURE_LIMIT, ...options.authFailureLimit }),
    bodyLimit,
    attributeLimits: resolveAttributeLimits(options.attributeLimits),
    notify: options.notify === undefined ? undefined : resolveNotifyOptions(options.notify),
    oauth,
    signature: options.signature === undefined ? undefined : createSignatureCheck(options.signature)
  }
}

function resolveStorage (storage: FinStorage | undefined): FinStorage | undefined {
  if (storage === undefined) return undefined
  const missing = STORAGE_METHODS.filter((method) => typeof (storage as unknown as Record<string, unknown>)[method] !== 'function')
  if (missing.length > 0) throw new FinOptionsError(`storage lacks ${missing.join(', ')}`)
  return storage
}

function resolveLimit<T extends { max: number, timeWindow: number | string }> (option: string, limit: T): T {
  if (!Number.isInteger(limit.max) || limit.max <= 0) throw new FinOptionsError(`${option}.max must be a positive integer`)
  if (typeof limit.timeWindow === 'number' && !(limit.timeWindow > 0)) {
    throw new FinOptionsError(`${option}.timeWindow must be positive`)
  }
  return limit
}

function resolveRoutes (variant: FinVariant, paths: NonNullable<FinHelpdeskOptions['paths']>): ResolvedRoute[] {
  if (variant !== 'standard' && variant !== 'posts-only' && variant !== 'both') {
    throw new FinOptionsError('variant must be "standard", "posts-only" or "both"')
  }
  checkPathNames(paths.standard, 'paths.standard')
  checkPathNames(paths.postsOnly, 'paths.postsOnly')
  const routes: ResolvedRoute[] = []
  for (const operation of OPERATIONS) {
    if (variant !== 'posts-only') {
      const { method, path } = STANDARD_ROUTES[operation]
      routes.push({ operation, variant: 'standard', method, path: paths.standard?.[operation] ?? path })
    }
    if (variant !== 'standard') {
      routes.push({ operation, variant: 'posts-only', method: 'POST', path: paths.postsOnly?.[operation] ?? POSTS_ONLY_PATHS[operation] })
    }
  }
  const seen = new Map<string, string>()
  for (const route of routes) {
    if (typeof route.path !== 'string' || !PATH.test(route.path)) {
      throw new FinOptionsError(`path "${String(route.path)}" of ${route.operation} must start with "/" and hold only URL path characters`)
    }
    const key = `${route.method} ${route.path}`
    const other = seen.get(key)
    if (other !== undefined) throw new FinOptionsError(`${key} is used by both ${other} and ${route.operation} (${route.variant})`)
    seen.set(key, `${route.operation} (${route.variant})`)
  }
  return routes
}

function checkPathNames (paths: Partial<Record<string, string>> | undefined, option: string): void {
  for (const key of Object.keys(paths ?? {})) {
    if (!(OPERATIONS as readonly string[]).includes(key)) {
      throw new FinOptionsError(`${option}.${key} is not an operation (${OPERATIONS.join(', ')})`)
    }
  }
}
