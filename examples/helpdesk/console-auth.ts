import type { FastifyInstance } from 'fastify'
import fastifyBearerAuth from '@fastify/bearer-auth'
import fastifyRateLimit from '@fastify/rate-limit'
import { errorCodes } from '../../lib/index.js'

const {
  FIN_ERR_AUTH_RATE_LIMITED: FinAuthRateLimitedError, FIN_ERR_RATE_LIMITED: FinRateLimitedError, FIN_ERR_UNAUTHORIZED: FinUnauthorizedError
} = errorCodes

export interface ConsoleAuthOptions {
  /** Bearer token of the console. */
  token: string
  /** An ioredis client: the counts are then shared by every instance of the helpdesk. */
  redis?: object
  /** The prefix of its keys in Redis: helpdesks sharing one Redis need their own. @default 'helpdesk-console-' */
  redisNameSpace?: string
  /** Requests a minute with the console token (all agents share it). @default 1200 */
  max?: number
  /** Wrong console tokens a minute per IP before that IP is answered 429. @default 20 */
  failures?: number
}

/**
 * The console's login, the way the plugin guards Fin's: the token is checked first, so a valid one always passes
 * (someone else's failures never lock the agents out); each wrong one counts against its IP, and past `failures`
 * a minute wrong tokens are answered 429; valid requests are limited to `max` a minute. Every 429 is logged at warn.
 * Call it inside the console's own (encapsulated) plugin: the hook applies to the console routes only.
 */
export async function consoleAuth (app: FastifyInstance, options: ConsoleAuthOptions): Promise<void> {
  // specCompliance 'rfc6749': the scheme is case-insensitive (RFC 7235), the token compared exactly.
  await app.register(fastifyBearerAuth, { addHook: false, keys: [options.token], verifyErrorLogLevel: 'info', specCompliance: 'rfc6749' })
  // skipOnError: a Redis outage must not lock the agents out (the token is still checked).
  await app.register(fastifyRateLimit, { global: false, redis: options.redis, nameSpace: options.redisNameSpace ?? 'helpdesk-console-', skipOnError: true })
  const requests = app.createRateLimit({ keyGenerator: () => 'console', max: options.max ?? 1200, timeWindow: 60_000 })
  const failures = app.createRateLimit({ keyGenerator: (request) => `login-failure:${request.ip}`, max: options.failures ?? 20, timeWindow: 60_000 })

  app.addHook('onRequest', async (request, reply) => {
    const valid = await new Promise<boolean>((resolve) => {
      app.verifyBearerAuth!(request, reply, (err) => resolve(err === undefined || err === null))
    })
    const counted = await (valid ? requests : failures)(request)
    if (!counted.isAllowed && counted.isExceeded) {
      const seconds = Math.max(1, counted.ttlInSeconds)
      reply.header('retry-after', seconds)
      request.log.warn({ limit: valid ? 'console' : 'console-login-failure', ip: request.ip, retryAfter: seconds }, 'console: rate limited (429)')
      throw valid ? new FinRateLimitedError(`${seconds} seconds`) : new FinAuthRateLimitedError(`${seconds} seconds`)
    }
    if (!valid) throw new FinUnauthorizedError('Missing or invalid console token')
  })
}
