import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'
import { FinOptionsError } from '../errors.js'

export interface FinOAuthClient {
  /** The client id you enter in the Fin Deployment UI. */
  id: string
  /** Its secret: at least 16 characters (32 random bytes recommended). */
  secret: string
}

export interface FinOAuthOptions {
  /** The clients that may fetch tokens; several at once, so that credentials can be rotated. */
  clients: FinOAuthClient[]
  /** Path of the token endpoint under the plugin's prefix. @default '/oauth/token' */
  path?: string
  /** Lifetime of an access token, in seconds. @default 3600 */
  tokenTtl?: number
  /** The `aud` of issued tokens; a token for another audience is refused. @default 'fastify-fin-helpdesk:{name}' */
  audience?: string
  /**
   * A server-side secret mixed into every token-signing key, so that a client secret alone cannot mint tokens
   * offline: only the token endpoint can. At least 32 characters. Give every instance that must accept each
   * other's tokens the same one (e.g. from your secret store).
   * @default a random secret per process: tokens then die with the process (Fin fetches a new one on the 401),
   * and instances behind one load balancer refuse each other's tokens, so set it when you run several.
   */
  signingSecret?: string
  /** Milliseconds since the epoch; injectable for tests. @default Date.now */
  now?: () => number
}

/** How far in the future a token's `iat` may be (clock differences between instances), in seconds. */
export const IAT_SKEW = 60

interface Client {
  secretHash: Buffer
  sign: (payload: Record<string, unknown>) => string
}

export const ISSUER = 'fastify-fin-helpdesk'

/** The checked OAuth options of one integration. */
export interface ResolvedOAuthOptions {
  clients: FinOAuthClient[]
  path: string
  tokenTtl: number
  audience: string
  now: () => number
  /** The integration's name: each integration derives its own signing keys. */
  integration: string
  /** The given signing secret, or a random one made for this registration. */
  signingSecret: string
}

/** Checks and completes `oauth`, at register time; never changes its input. */
export function resolveOAuthOptions (options: FinOAuthOptions, integration: string): ResolvedOAuthOptions {
  if (options === null || typeof options !== 'object' || !Array.isArray(options.clients) || options.clients.length === 0) {
    throw new FinOptionsError('oauth.clients must list at least one { id, secret }')
  }
  const path = options.path ?? '/oauth/token'
  if (!/^\/[A-Za-z0-9_\-/.~]*$/.test(path)) throw new FinOptionsError('oauth.path must start with "/"')
  const tokenTtl = options.tokenTtl ?? 3600
  if (!Number.isInteger(tokenTtl) || tokenTtl < 1) throw new FinOptionsError('oauth.tokenTtl must be a positive number of seconds')
  const ids = new Set<string>()
  for (const client of options.clients) {
    if (typeof client?.id !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(client.id) || client.id.includes(':')) {
      throw new FinOptionsError('oauth client ids must be 1-128 printable characters without ":"')
    }
    if (typeof client.secret !== 'string' || client.secret.length < 16) throw new FinOptionsError(`oauth client ${client.id}: the secret must have at least 16 characters`)
    if (ids.has(client.id)) throw new FinOptionsError(`oauth client ${client.id} is listed twice`)
    ids.add(client.id)
  }
  const signingSecret = options.signingSecret ?? randomBytes(32).toString('base64url')
  if (typeof signingSecret !== 'string' || signingSecret.length < 32) {
    throw new FinOptionsError('oauth.signingSecret must be a string of at least 32 characters')
  }
  return {
    clients: options.clients.map(({ id, secret }) => ({ id, secret })),
    path,
    tokenTtl,
    audience: options.audience ?? `${ISSUER}:${integration}`,
    now: options.now ?? Date.now,
    integration,
    signingSecret
  }
}

/**
 * Issues and verifies the access tokens of the OAuth 2.0 client-credentials flow (RFC 6749 section 4.4). Tokens are
 * HS256 JWTs (fast-jwt) signed with a key derived from their client's secret and the server's `signingSecret`,
 * named by `kid`: any instance configured with the same clients and signing secret verifies them without shared
 * state, and removing a client revokes its tokens.
 */
export class OAuthTokens {
  readonly path: string
  readonly ttl: number
  readonly audience: string
  readonly #now: () => number
  readonly #clients = new Map<string, Client>()
  readonly #keys = new Map<string, Buffer>()
  readonly #verify: (token: string) => Promise<{ header: { kid?: unknown }, payload: { sub?: unknown, exp?: unknown, iat?: unknown } }>
  readonly #dummyHash = createHash('sha256').update(randomUUID()).digest()

  constructor (options: ResolvedOAuthOptions) {
    this.path = options.path
    this.ttl = options.tokenTtl
    this.audience = options.audience
    this.#now = options.now
    for (const client of options.clients) {
      // Both secrets are needed: the client's (removing the client revokes its tokens) and the server's (holding a
      // client secret is not enough to mint a token offline).
      const clientKey = createHmac('sha256', client.secret).update(`${ISSUER}:oauth-signing-key:${options.integration}`).digest()
      const key = createHmac('sha256', options.signingSecret).update(clientKey).digest()
      this.#keys.set(client.id, key)
      this.#clients.set(client.id, {
        secretHash: createHash('sha256').update(client.secret).digest(),
        sign: createSigner({ key, algorithm: 'HS256', kid: client.id })
      })
    }
    this.#verify = createVerifier({
      algorithms: ['HS256'],
      allowedAud: this.audience,
      allowedIss: ISSUER,
      // Expiry is checked below against the injectable clock.
      ignoreExpiration: true,
      ignoreNotBefore: true,
      requiredClaims: ['sub', 'exp', 'iat'],
      complete: true,
      cache: 1000,
      key: async ({ header }: { header: { kid?: string } }) => {
        const key = header.kid === undefined ? undefined : this.#keys.get(header.kid)
        if (key === undefined) throw new Error('unknown key')
        return key
      }
    })
  }

  /** True when the id and secret name a configured client; compared in constant time. */
  authenticate (id: string, secret: string): boolean {
    const client = this.#clients.get(id)
    const given = createHash('sha256').update(secret).digest()
    return timingSafeEqual(given, client?.secretHash ?? this.#dummyHash) && client !== undefined
  }

  issue (clientId: string): { access_token: string, token_type: 'Bearer', expires_in: number } {
    const client = this.#clients.get(clientId)
    if (client === undefined) throw new Error(`unknown client ${clientId}`)
    const iat = Math.floor(this.#now() / 1000)
    const accessToken = client.sign({ sub: clientId, aud: this.audience, iss: ISSUER, iat, exp: iat + this.ttl, jti: randomUUID() })
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.ttl }
  }

  /**
   * The client id of a token this integration issued: unexpired, for its audience, signed with the key of the
   * client it names (`sub` is the `kid`), no longer-lived than `tokenTtl`, not issued in the future. Otherwise
   * undefined.
   */
  async verify (token: string): Promise<string | undefined> {
    try {
      const { header, payload } = await this.#verify(token)
      const { sub, exp, iat } = payload
      if (typeof sub !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') return undefined
      const now = this.#now() / 1000
      if (sub !== header.kid || !this.#clients.has(sub)) return undefined
      if (exp <= now || exp - iat > this.ttl || iat > now + IAT_SKEW) return undefined
      return sub
    } catch {
      return undefined
    }
  }
}
