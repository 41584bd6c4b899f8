import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import {
  FinAuthRateLimitedError, FinInvalidSignatureError, FinRateLimitedError, FinRateLimitUnavailableError, isClientError
} from '../errors.js'
import { bearerToken, createAuthenticator, tokenFingerprint } from './bearer.js'
import type { OAuthTokens } from './oauth.js'
import type { FinTokenVerifier, ResolvedAuthOptions } from './options.js'
import { rawBody } from './raw-body.js'
import type { SignatureCheck } from './signature.js'

/** The limiter key: the client's token fingerprint (all of Fin shares a few IPs), else the IP. */
function clientKey (request: FastifyRequest): string {
  const token = bearerToken(request)
  return token === undefined ? `ip:${request.ip}` : `token:${tokenFingerprint(token)}`
}

export interface Limits {
  /** The per-client rate limit, as an onRequest hook; undefined when turned off. */
  perClient: onRequestAsyncHookHandler | undefined
  /**
   * Runs an authentication step: refuses at once an IP that went over its failed-authentication limit, and counts a
   * failure against the IP when the step throws.
   */
  guard: (request: FastifyRequest, reply: FastifyReply, step: () => Promise<void>) => Promise<void>
}

/** Registers @fastify/rate-limit (route-less) in the Fin context and builds both limits from it. */
export async function createLimits (
  app: FastifyInstance,
  options: Pick<ResolvedAuthOptions, 'name' | 'rateLimit' | 'authFailureLimit'>
): Promise<Limits> {
  const { rateLimit, authFailureLimit } = options
  if (rateLimit === false && authFailureLimit === false) return { perClient: undefined, guard: (_request, _reply, step) => step() }
  await app.register(fastifyRateLimit, {
    global: false,
    ...(rateLimit === false ? {} : rateLimit),
    redis: rateLimit === false ? undefined : rateLimit.redis,
    nameSpace: rateLimit === false ? undefined : (rateLimit.nameSpace ?? `fin-rate-limit-${options.name}-`),
    // Headers only on a 429 (with Retry-After): Fin does not read x-ratelimit-* on every answer, and they cost.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) => new FinRateLimitedError(context.after)
  })
  const perClient = rateLimit === false ? undefined : storeFailures(app.rateLimit({ keyGenerator: clientKey }))
  if (authFailureLimit === false) return { perClient, guard: (_request, _reply, step) => step() }
  const failures = app.createRateLimit({
    keyGenerator: (request) => `auth-failure:${request.ip}`,
    max: authFailureLimit.max,
    timeWindow: authFailureLimit.timeWindow
  })
  // IPs past their limit, until when. Failures are counted in the shared store (Redis across instances); an IP
  // crossing the limit is remembered here, so a successful request costs a Map lookup, not a store round trip.
  const blocked = new Map<string, number>()
  return {
    perClient,
    async guard (request, reply, step) {
      const until = blocked.get(request.ip)
      if (until !== undefined) {
        const left = until - Date.now()
        if (left > 0) {
          const seconds = Math.ceil(left / 1000)
          reply.header('retry-after', seconds)
          throw new FinAuthRateLimitedError(`${seconds} seconds`)
        }
        blocked.delete(request.ip)
      }
      try {
        await step()
      } catch (err) {
        const counted = await failures(request).catch(unavailable)
        if (!counted.isAllowed && counted.remaining === 0) {
          if (blocked.size >= 10_000) blocked.clear()
          blocked.set(request.ip, Date.now() + counted.ttl)
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

/** Adds to the API context: the per-client limit, then authentication, then (if on) the signature check. */
export async function addApiHooks (app: FastifyInstance, auth: ApiAuth, limits: Limits): Promise<void> {
  const authenticate = await createAuthenticator(app, auth.tokens, auth.verifyToken, auth.oauth)
  const { perClient, guard } = limits
  // One hook for both steps (rate limit first, so failed tokens count too): one dispatch per request, not two.
  app.addHook('onRequest', async function finAuth (request, reply) {
    if (perClient !== undefined) await perClient.call(this, request, reply)
    await guard(request, reply, () => authenticate(request, reply))
  })
  const signature = auth.signature
  if (signature !== undefined) {
    // After parsing, so the raw body is known; before validation, so a forged request learns nothing more.
    app.addHook('preValidation', (request, reply) => limits.guard(request, reply, async () => {
      const refused = signature(request, rawBody(request))
      if (refused !== undefined) throw new FinInvalidSignatureError(refused)
    }))
  }
}

/** A store failure that @fastify/rate-limit passed on (skipOnError false): 503, not a bare 500. */
function unavailable (err: unknown): never {
  if (isClientError(err) || (err as { statusCode?: number }).statusCode === 429) throw err
  throw new FinRateLimitUnavailableError({ cause: err })
}

function storeFailures (hook: onRequestAsyncHookHandler): onRequestAsyncHookHandler {
  return async function rateLimitHook (request, reply) {
    await (hook.call(this, request, reply) as Promise<void>).catch(unavailable)
  }
}
