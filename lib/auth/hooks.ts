import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import { FinAuthRateLimitedError, FinRateLimitedError } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import { bearerToken, createAuthenticator, tokenFingerprint } from './bearer.js'

/** The limiter key: the client's token fingerprint (all of Fin shares a few IPs), else the IP. */
function clientKey (request: FastifyRequest): string {
  const token = bearerToken(request)
  return token === undefined ? `ip:${request.ip}` : `token:${tokenFingerprint(token)}`
}

/**
 * The onRequest hooks of the Fin routes, in order: the per-client rate limit (before auth, so failed tokens
 * count too), then authentication guarded by a per-IP limit on failed attempts.
 */
export async function createRequestHooks (app: FastifyInstance, options: ResolvedOptions): Promise<onRequestAsyncHookHandler[]> {
  const hooks: onRequestAsyncHookHandler[] = []
  const { rateLimit, authFailureLimit } = options
  if (rateLimit !== false || authFailureLimit !== false) {
    await app.register(fastifyRateLimit, {
      global: false,
      ...(rateLimit === false ? {} : rateLimit),
      redis: rateLimit === false ? undefined : rateLimit.redis,
      nameSpace: rateLimit === false ? undefined : (rateLimit.nameSpace ?? `fin-rate-limit-${options.name}-`),
      errorResponseBuilder: (_request, context) => new FinRateLimitedError(context.after)
    })
  }
  if (rateLimit !== false) {
    hooks.push(app.rateLimit({ keyGenerator: clientKey }))
  }

  const authenticate = await createAuthenticator(app, options.tokens, options.verifyToken)
  if (authFailureLimit === false) {
    hooks.push(authenticate)
    return hooks
  }
  const failures = app.createRateLimit({
    keyGenerator: (request) => `auth-failure:${request.ip}`,
    max: authFailureLimit.max,
    timeWindow: authFailureLimit.timeWindow
  })
  hooks.push(async function authenticateWithFailureLimit (request, reply) {
    const seen = await failures(request, { increment: false })
    if (!seen.isAllowed && seen.remaining === 0) throw blocked(reply, seen.ttlInSeconds)
    try {
      await authenticate(request, reply)
    } catch (err) {
      await failures(request)
      throw err
    }
  })
  return hooks
}

function blocked (reply: { header: (name: string, value: number) => unknown }, seconds: number): Error {
  reply.header('retry-after', seconds)
  return new FinAuthRateLimitedError(`${seconds} seconds`)
}
