import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyAuth from '@fastify/auth'
import fastifyBearerAuth from '@fastify/bearer-auth'
import { FinUnauthorizedError } from '../errors.js'
import { client, setClient } from './client.js'
import type { OAuthTokens } from './oauth.js'
import type { FinTokenVerifier } from './options.js'

type AuthFunction = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined
  const token = header.slice(7).trim()
  return token.length > 0 ? token : undefined
}

const fingerprints = new Map<string, string>()

/**
 * A stable, non-reversible name for a token: what the rate limiter keys on, so no store ever holds a token.
 * Cached, since Fin reuses one token for its lifetime; the cache is bounded so random tokens cannot grow it.
 */
export function tokenFingerprint (token: string): string {
  let fingerprint = fingerprints.get(token)
  if (fingerprint === undefined) {
    fingerprint = createHash('sha256').update(token).digest('base64url').slice(0, 22)
    if (fingerprints.size >= 1000) fingerprints.clear()
    fingerprints.set(token, fingerprint)
  }
  return fingerprint
}

const tokenKeys = new Map<string, string>()
const oauthKeys = new Map<string, string>()

/** The rate-limit key of a token accepted as a static token or by `verifyToken`: its fingerprint, made once. */
export function tokenClientKey (token: string): string {
  let key = tokenKeys.get(token)
  if (key === undefined) {
    key = `token:${tokenFingerprint(token)}`
    // Bounded like the fingerprints; only accepted tokens get here.
    if (tokenKeys.size >= 1000) tokenKeys.clear()
    tokenKeys.set(token, key)
  }
  return key
}

/** The rate-limit key of an OAuth client: its tokens share it, so a fresh token does not reset the limit. */
export function oauthClientKey (clientId: string): string {
  let key = oauthKeys.get(clientId)
  if (key === undefined) {
    key = `oauth:${clientId}`
    // Client ids come from the configuration (verified tokens and authenticated clients only): a handful.
    if (oauthKeys.size >= 1000) oauthKeys.clear()
    oauthKeys.set(clientId, key)
  }
  return key
}

// RFC 7235: the scheme is case-insensitive ("bearer x", "BEARER x"); @fastify/bearer-auth compares it
// case-insensitively under its 'rfc6749' setting. The token itself is still compared exactly.
const BEARER = { addHook: false, verifyErrorLogLevel: 'info', specCompliance: 'rfc6749' } as const

/**
 * Registers @fastify/auth and @fastify/bearer-auth in the (encapsulated) route context and returns an async check:
 * the static tokens (constant-time, several at once for rotation) OR an access token from the OAuth endpoint OR the
 * custom verifier. Throws FIN_ERR_UNAUTHORIZED when none accepts; on success, records the rate-limit key of the
 * authenticated client (client.ts).
 */
export async function createAuthenticator (
  app: FastifyInstance,
  tokens: string[],
  verifyToken: FinTokenVerifier | undefined,
  oauth: OAuthTokens | undefined
): Promise<(request: FastifyRequest, reply: FastifyReply) => Promise<void>> {
  // @fastify/auth throws FST_ERR_DEC_ALREADY_PRESENT when registered twice in one context.
  if (!app.hasDecorator('auth')) await app.register(fastifyAuth)
  await app.register(fastifyBearerAuth, { ...BEARER, keys: tokens })
  const verifiers: AuthFunction[] = []
  const factory = app.verifyBearerAuthFactory!
  if (tokens.length > 0) verifiers.push(app.verifyBearerAuth as AuthFunction)
  if (oauth !== undefined) {
    verifiers.push(factory({
      ...BEARER,
      keys: [],
      // The key is the client (`sub`), not the token: a fresh token must not reset the client's rate limit.
      auth: async (token: string, request: FastifyRequest) => {
        const id = await oauth.verify(token)
        if (id === undefined) return false
        setClient(request, oauthClientKey(id))
        return true
      }
    }) as AuthFunction)
  }
  if (verifyToken !== undefined) {
    verifiers.push(factory({
      // Without addHook: false (in BEARER) the factory answers 401 itself instead of handing the error to @fastify/auth.
      ...BEARER,
      keys: [],
      // A verifier that throws must not turn into bearer-auth's 500: log it and refuse the token.
      auth: async (token: string, request: FastifyRequest) => {
        try {
          return (await verifyToken(token, request)) === true
        } catch (err) {
          request.log.error({ err }, 'fastify-fin-helpdesk: verifyToken failed')
          return false
        }
      }
    }) as AuthFunction)
  }
  const check = app.auth(verifiers) as AuthFunction
  return (request, reply) => new Promise((resolve, reject) => {
    check(request, reply, (err) => {
      if (err === undefined || err === null) {
        if (client(request) === undefined) setClient(request, tokenClientKey(bearerToken(request)!))
        resolve()
      } else reject(new FinUnauthorizedError(bearerToken(request) === undefined ? 'Missing bearer token' : 'Invalid bearer token'))
    })
  })
}
