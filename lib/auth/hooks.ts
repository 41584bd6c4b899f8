import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import {
  FinAuthRateLimitedError, FinInvalidSignatureError, FinRateLimitedError, FinRateLimitUnavailableError, isClientError
} from '../errors.js'
import { createAuthenticator } from './bearer.js'
import { client, decorateClient, setClient } from './client.js'
import type { OAuthTokens } from './oauth.js'
import type { FinTokenVerifier, ResolvedAuthOptions } from './options.js'
import { rawBody } from './raw-body.js'
import type { SignatureCheck } from './signature.js'

export interface Limits {
  /**
   * Counts a request of an authenticated client (keyed on `client`, recorded on the request) and refuses it
   * with 429 FIN_ERR_RATE_LIMITED past the per-client limit. A no-op when the limit is off.
   */
  perClient: (request: FastifyRequest, reply: FastifyReply, client: string) => Promise<void>
  /**
   * Runs an authentication step. A step that succeeds passes, whatever others sent from its IP (a valid credential
   * is never refused for someone else's failures). A step that throws counts a failure against the IP; past the
   * failed-authentication limit it is answered 429 FIN_ERR_AUTH_RATE_LIMITED instead of its own error.
   */
  guard: (request: FastifyRequest, reply: FastifyReply, step: () => Promise<void>) => Promise<void>
}

/** Registers @fastify/rate-limit (route-less) in the Fin context and builds both limits from it. */
export async function createLimits (
  app: FastifyInstance,
  options: Pick<ResolvedAuthOptions, 'name' | 'rateLimit' | 'authFailureLimit'>
): Promise<Limits> {
  decorateClient(app)
  const { rateLimit, authFailureLimit } = options
  const off: Limits = {
    perClient: async (request, _reply, key) => { setClient(request, key) },
    guard: (_request, _reply, step) => step()
  }
  if (rateLimit === false && authFailureLimit === false) return off
  await app.register(fastifyRateLimit, {
    global: false,
    ...(rateLimit === false ? {} : rateLimit),
    redis: rateLimit === false ? undefined : rateLimit.redis,
    nameSpace: rateLimit === false ? undefined : (rateLimit.nameSpace ?? `fin-rate-limit-${options.name}-`)
  })

  let perClient = off.perClient
  if (rateLimit !== false) {
    const count = app.createRateLimit({ keyGenerator: (request) => client(request) ?? `ip:${request.ip}` })
    perClient = async (request, reply, key) => {
      setClient(request, key)
      const counted = await count(request).catch(unavailable)
      if (counted.isAllowed || !counted.isExceeded) return
      const seconds = Math.max(1, counted.ttlInSeconds)
      reply.header('retry-after', seconds)
      // A fingerprint or a client id: never the token itself.
      request.log.warn({ limit: 'client', client: key, max: counted.max, retryAfter: seconds }, 'fastify-fin-helpdesk: rate limited (429)')
      throw new FinRateLimitedError(`${seconds} seconds`)
    }
  }
  if (authFailureLimit === false) return { perClient, guard: off.guard }

  const failures = app.createRateLimit({
    keyGenerator: (request) => `auth-failure:${request.ip}`,
    max: authFailureLimit.max,
    timeWindow: authFailureLimit.timeWindow
  })
  // IPs past their limit, until when. Failures are counted in the shared store (Redis across instances); an IP
  // reaching the limit is remembered here, so further failures from it are refused without a store round trip.
  // Successes never look here: the credential is checked first.
  const blocked = new Map<string, number>()
  const refuse = (request: FastifyRequest, reply: FastifyReply, ms: number): never => {
    const seconds = Math.max(1, Math.ceil(ms / 1000))
    reply.header('retry-after', seconds)
    request.log.warn({ limit: 'auth-failure', ip: request.ip, retryAfter: seconds }, 'fastify-fin-helpdesk: failed authentications limited (429)')
    throw new FinAuthRateLimitedError(`${seconds} seconds`)
  }
  return {
    perClient,
    async guard (request, reply, step) {
      try {
        await step()
      } catch (err) {
        const until = blocked.get(request.ip)
        if (until !== undefined) {
          const left = until - Date.now()
          if (left > 0) refuse(request, reply, left)
          blocked.delete(request.ip)
        }
        const counted = await failures(request).catch(unavailable)
        if (!counted.isAllowed && counted.remaining === 0) {
          if (blocked.size >= 10_000) blocked.clear()
          blocked.set(request.ip, Date.now() + counted.ttl)
          // Past the limit already (counted by another instance, or this one forgot it): refuse this one too.
          if (counted.isExceeded) refuse(request, reply, counted.ttl)
        }
        throw err
      }
    }
  }
}

/** What authenticates the API's requests: plain options plus the objects the plugin built from them. */
export interface ApiAuth {
  tokens: string[]
  verifyToken: FinTokenVerifier | undefined
  oauth: OAuthTokens | undefined
  signature: SignatureCheck | undefined
}

/**
 * Adds to the API context one onRequest hook: authentication (guarded by the failed-authentication limit), then
 * the per-client limit keyed on the authenticated client; and, if on, the signature check.
 */
export async function addApiHooks (app: FastifyInstance, auth: ApiAuth, limits: Limits): Promise<void> {
  const authenticate = await createAuthenticator(app, auth.tokens, auth.verifyToken, auth.oauth)
  const { perClient, guard } = limits
  // One hook for both steps: one dispatch per request, not two. Authentication first, so the per-client limit is
  // keyed on who the client is (an OAuth client, not its current token) and nobody can spend another's budget.
  app.addHook('onRequest', async function finAuth (request, reply) {
    await guard(request, reply, () => authenticate(request, reply))
    await perClient(request, reply, client(request)!)
  })
  const signature = auth.signature
  if (signature !== undefined) {
    // After parsing, so the raw body is known; before validation, so a forged request learns nothing more.
    app.addHook('preValidation', async (request, reply) => {
      const refused = await signature(request, rawBody(request))
      if (refused === undefined) return
      const error = new FinInvalidSignatureError(refused.reason)
      // A replay carries a valid signature and (by now) a valid bearer credential: nobody is guessing a secret, and
      // Fin's IP must not be locked out for it. Any other refusal is a failed authentication.
      if (refused.replay) throw error
      await limits.guard(request, reply, () => Promise.reject(error))
    })
  }
}

/** A store failure that @fastify/rate-limit passed on (skipOnError false): 503, not a bare 500. */
function unavailable (err: unknown): never {
  if (isClientError(err) || (err as { statusCode?: number }).statusCode === 429) throw err
  throw new FinRateLimitUnavailableError({ cause: err })
}
