import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { oauthClientKey } from '../auth/bearer.js'
import type { Limits } from '../auth/limits.js'
import type { OAuthTokens } from '../auth/oauth.js'

/** An RFC 6749 section 5.2 error. */
class OAuthError extends Error {
  constructor (readonly oauthCode: string, readonly description: string, readonly statusCode = 400) {
    super(description)
  }
}

interface Credentials {
  id: string
  secret: string
  via: 'basic' | 'body'
}

/** Client credentials from HTTP Basic (RFC 6749 section 2.3.1: form-encoded, then base64) or from the body. */
function credentials (request: FastifyRequest, body: Record<string, string>): Credentials {
  const header = request.headers.authorization
  const fromBody = body.client_id !== undefined || body.client_secret !== undefined
  if (header !== undefined) {
    if (fromBody) throw new OAuthError('invalid_request', 'use one way to authenticate the client: Basic or the body, not both')
    const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
    const decoded = match === null ? '' : Buffer.from(match[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) throw new OAuthError('invalid_client', 'malformed Basic credentials', 401)
    try {
      const decode = (part: string): string => decodeURIComponent(part.replace(/\+/g, ' '))
      return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)), via: 'basic' }
    } catch {
      throw new OAuthError('invalid_client', 'malformed Basic credentials', 401)
    }
  }
  if (typeof body.client_id !== 'string' || typeof body.client_secret !== 'string' || body.client_id === '') {
    throw new OAuthError('invalid_client', 'client authentication is required (HTTP Basic, or client_id and client_secret)', 401)
  }
  return { id: body.client_id, secret: body.client_secret, via: 'body' }
}

/** The body's parameters as strings; a parameter given twice is invalid (RFC 6749 section 3.2). */
function parameters (body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {}
  if (typeof body !== 'object' || Array.isArray(body)) throw new OAuthError('invalid_request', 'the body must be form-encoded or a JSON object')
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `${name} is given more than once`)
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be a string`)
    out[name] = value
  }
  return out
}

export interface TokenEndpointOptions {
  oauth: OAuthTokens
  limits: Limits
}

/**
 * The OAuth 2.0 token endpoint, client-credentials grant only, in its own encapsulated context: its errors follow
 * RFC 6749 section 5.2 and it needs no bearer token or signature. Rate limited like the rest, and a wrong secret
 * counts as a failed authentication of the IP.
 */
export async function tokenEndpoint (app: FastifyInstance, { oauth, limits }: TokenEndpointOptions): Promise<void> {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, (_request, body, done) => {
    const params = new URLSearchParams(body as string)
    const out: Record<string, string | string[]> = {}
    for (const name of new Set(params.keys())) {
      const values = params.getAll(name)
      out[name] = values.length === 1 ? values[0]! : values
    }
    done(null, out)
  })
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    reply.header('pragma', 'no-cache')
  })
  app.setErrorHandler((error: FastifyError, request, reply) => oauthErrorReply(error, request, reply))

  app.post(oauth.path, { bodyLimit: 8192 }, async (request, reply) => {
    const body = parameters(request.body)
    let client: Credentials
    try {
      client = credentials(request, body)
      if (!oauth.authenticate(client.id, client.secret)) throw new OAuthError('invalid_client', 'unknown client or wrong secret', 401)
    } catch (err) {
      // A wrong secret counts as a failed authentication of the IP (429 past the limit).
      throw limits.failed === undefined ? err : await limits.failed(request, reply, err as Error)
    }
    // Counted per client after authentication: nobody else's traffic from a shared IP spends Fin's budget.
    await new Promise<void>((resolve, reject) => {
      limits.countClient(request, reply, oauthClientKey(client.id), (err) => { if (err === undefined) resolve(); else reject(err) })
    })
    if (body.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is required')
    if (body.grant_type !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'only grant_type=client_credentials is supported')
    request.log.info({ client: client.id, via: client.via }, 'fastify-fin-helpdesk: issued an access token')
    return oauth.issue(client.id)
  })
}

function oauthErrorReply (error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof OAuthError) {
    if (error.oauthCode === 'invalid_client') {
      reply.header('www-authenticate', request.headers.authorization === undefined ? 'Basic realm="fin"' : 'Basic realm="fin", error="invalid_client"')
    }
    return reply.code(error.statusCode).send({ error: error.oauthCode, error_description: error.description })
  }
  const status = error.statusCode ?? 500
  if (status === 429) {
    return reply.code(429).send({ error: 'temporarily_unavailable', error_description: error.message })
  }
  // The rate limit's store failed (skipOnError false): unavailable for now, as on the API; never a 500.
  if (status === 503) {
    request.log.error({ err: error }, 'fastify-fin-helpdesk: token endpoint unavailable')
    return reply.code(503).send({ error: 'temporarily_unavailable', error_description: error.message })
  }
  if (status >= 400 && status < 500) {
    return reply.code(400).send({ error: 'invalid_request', error_description: error.validation === undefined ? error.message : 'malformed request' })
  }
  request.log.error({ err: error }, 'fastify-fin-helpdesk: token endpoint failed')
  return reply.code(500).send({ error: 'server_error', error_description: STATUS_CODES[500] })
}
