import { hash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { FinUnauthorizedError } from '../errors.js'
import type { Done, Limits } from './limits.js'
import type { OAuthTokens } from './oauth.js'
import type { FinTokenVerifier } from './options.js'

/** An @fastify/auth function (callback style: the static-token path answers without a promise). */
export type Authenticator = (request: FastifyRequest, reply: FastifyReply, done: Done) => void

export interface BearerChecks {
  tokens: string[]
  oauth: OAuthTokens | undefined
  verifyToken: FinTokenVerifier | undefined
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. The scheme is case-insensitive (RFC 7235). */
export function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined
  const token = header.slice(7).trim()
  return token.length > 0 ? token : undefined
}

/** SHA-256 of a token: fixed length, so the compare takes the same time whatever the token's length. */
function digest (token: string): Buffer {
  return hash('sha256', token, 'buffer')
}

/** The rate-limit key of a token: a stable, non-reversible name, so no store or log ever holds a token. */
function tokenKey (tokenDigest: Buffer): string {
  return `token:${tokenDigest.toString('base64url').slice(0, 22)}`
}

/** The rate-limit key of an OAuth client: its tokens share it, so a fresh token does not reset the limit. */
export function oauthClientKey (clientId: string): string {
  return `oauth:${clientId}`
}

/**
 * The one bearer check of the Fin API, for `fastify.auth([authenticate])`: the static tokens (SHA-256 digests
 * compared in constant time, every one of them, so rotation can keep several), then an access token of the OAuth
 * endpoint, then the host's verifier. On success it hands the request to the per-client limit with the client's
 * key (a token fingerprint, or the OAuth client); on failure, FIN_ERR_UNAUTHORIZED, through the
 * failed-authentication limit.
 */
export function createAuthenticator ({ tokens, oauth, verifyToken }: BearerChecks, limits: Limits): Authenticator {
  const statics = tokens.map((token) => {
    const tokenDigest = digest(token)
    return { digest: tokenDigest, key: tokenKey(tokenDigest) }
  })
  const { countClient, failed } = limits
  const refuse = (request: FastifyRequest, reply: FastifyReply, done: Done, message: string): void => {
    const err = new FinUnauthorizedError(message)
    if (failed === undefined) done(err)
    else failed(request, reply, err).then(done, done)
  }
  /** A token that is not a static one: OAuth's, else the verifier's; the client's key, or undefined. */
  const other = async (token: string, tokenDigest: Buffer, request: FastifyRequest): Promise<string | undefined> => {
    if (oauth !== undefined) {
      const id = await oauth.verify(token)
      if (id !== undefined) return oauthClientKey(id)
    }
    if (verifyToken !== undefined) {
      try {
        if ((await verifyToken(token, request)) === true) return tokenKey(tokenDigest)
      } catch (err) {
        // A verifier that throws is the host's failure, not the caller's: logged, and the token refused (401).
        request.log.error({ err }, 'fastify-fin-helpdesk: verifyToken failed')
      }
    }
    return undefined
  }
  return function authenticate (request, reply, done) {
    const token = bearerToken(request)
    if (token === undefined) return refuse(request, reply, done, 'Missing bearer token')
    const given = digest(token)
    let key: string | undefined
    for (const known of statics) if (timingSafeEqual(given, known.digest)) key = known.key
    if (key !== undefined) return countClient(request, reply, key, done)
    if (oauth === undefined && verifyToken === undefined) return refuse(request, reply, done, 'Invalid bearer token')
    other(token, given, request).then((found) => {
      if (found === undefined) refuse(request, reply, done, 'Invalid bearer token')
      else countClient(request, reply, found, done)
    })
  }
}
