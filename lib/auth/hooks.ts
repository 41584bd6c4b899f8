import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import { FinAuthRateLimitedError, FinInvalidSignatureError, FinRateLimitedError, FinRateLimitUnavailableError } from '../errors.js'
import { isClientError } from '../storage/guard.js'
import type { ResolvedOptions } from '../options.js'
import { bearerToken, createAuthenticator, tokenFingerprint } from './bearer.js'

/** The limiter key: the client's token fingerprint (all of Fin shares a few IPs), else the IP. */
function clientKey (request: FastifyRequest): string {
  const token = bearerToken(request)
  return token === undefined ? `ip:${request.ip}` : `token:${tokenFingerprint(token)}`
}

export interface Limits {
  /** The per-client rate limit, as an onRequest hook; undefined when turned off. */
  perClient: onRequestAsyncHookHandler | undefined
  /**
   * Runs an authentication step: refuses at once an IP over its failed-authentication limit, and counts a
   * failure against the IP when the step throws.
   */
  guard: (request: FastifyRequest, reply: FastifyReply, step: () => Promise<void>) => Promise<void>
}

/** Registers @fastify/rate-limit (route-less) in the Fin context and builds both limits from it. */
export async function createLimits (app: FastifyInstance, options: ResolvedOptions): Promise<Limits> {
  const { rateLimit, authFailureLimit } = options
  if (rateLimit === false && authFailureLimit === false) return { perClient: undefined, guard: (_request, _reply, step) => step() }
  await app.register(fastifyRateLimit, {
    global: false,
    ...(rateLimit === false ? {} : rateLimit),
    redis: rateLimit === false ? undefined : rateLimit.redis,
    nameSpace: rateLimit === false ? undefined : (rateLimit.nameSpace ?? `fin-rate-limit-${options.name}-`),
    errorResponseBuilder: (_request, context) => new FinRateLimitedError(context.after)
  })
  const perClient = rateLimit === false ? undefined : storeFailures(app.rateLimit({ keyGenerator: clientKey }))
  if (authFailureLimit === false) return { perClient, guard: (_request, _reply, step) => step() }
  const failures = app.createRateLimit({
    keyGenerator: (request) => `auth-failure:${request.ip}`,
    max: authFailureLimit.max,
    timeWindow: authFailureLimit.timeWindow
  })
  return {
    perClient,
    async guard (request, reply, step) {
      const seen = await failures(request, { increment: false }).catch(unavailable)
      if (!seen.isAllowed && seen.remaining === 0) {
        reply.header('retry-after', seen.ttlInSeconds)
        throw new FinAuthRateLimitedError(`${seen.ttlInSeconds} seconds`)
      }
      try {
        await step()
      } catch (err) {
        await failures(request).catch(unavailable)
        throw err
      }
    }
  }
}

/** Adds to the API context: the per-client limit, then authentication, then (if on) the signature check. */
export async function addApiHooks (app: FastifyInstance, options: ResolvedOptions, limits: Limits): Promise<void> {
  if (limits.perClient !== undefined) app.addHook('onRequest', limits.perClient)
  const authenticate = await createAuthenticator(app, options.tokens, options.verifyToken, options.oauth)
  app.addHook('onRequest', (request, reply) => limits.guard(request, reply, () => authenticate(request, reply)))
  const signature = options.signature
  if (signature !== undefined) {
    // After parsing, so the raw body is known; before validation, so a forged request learns nothing more.
    app.addHook('preValidation', (request, reply) => limits.guard(request, reply, async () => {
      const refused = signature(request, request.finRawBody)
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
