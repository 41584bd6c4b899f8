import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { FinAuthRateLimitedError, FinRateLimitedError, FinRateLimitUnavailableError, isClientError } from '../errors.js'
import { finRoute } from '../operations.js'
import { client, setClient } from './client.js'
import type { ResolvedAuthOptions } from './options.js'

/** @fastify/rate-limit's `fastify.createRateLimit`: a counter over the store it was registered with. */
export type CreateRateLimit = FastifyInstance['createRateLimit']

export type Done = (err?: Error) => void

export interface Limits {
  /**
   * Counts a request of an authenticated client (`key`: a token fingerprint or `oauth:{client id}`, recorded on
   * the request) and calls `done` with 429 FIN_ERR_RATE_LIMITED past the per-client limit. Synchronous on the
   * in-process counter; a store (Redis) answers later.
   */
  countClient: (request: FastifyRequest, reply: FastifyReply, key: string, done: Done) => void
  /**
   * What a failed authentication is answered with: the error itself, counted against the IP; past the
   * failed-authentication limit, 429 FIN_ERR_AUTH_RATE_LIMITED instead. Undefined when that limit is off.
   * Successes never come here: the credential is checked first, so a valid one is never refused for someone
   * else's failures.
   */
  failed: ((request: FastifyRequest, reply: FastifyReply, err: Error) => Promise<Error>) | undefined
}

/** True when the limits need @fastify/rate-limit (a store, Redis, or the failed-authentication limit). */
export function needsRateLimitStore (options: Pick<ResolvedAuthOptions, 'rateLimit' | 'authFailureLimit'>): boolean {
  return options.authFailureLimit !== false || (options.rateLimit !== false && !localWindow(options.rateLimit))
}

/**
 * Both limits. The per-client limit counts in this process (LocalCounter) unless a store, Redis or a window in
 * words is given; then, like the failed-authentication limit, it counts through @fastify/rate-limit
 * (`createRateLimit`, present when needsRateLimitStore said so).
 */
export function createLimits (
  options: Pick<ResolvedAuthOptions, 'rateLimit' | 'authFailureLimit'>,
  createRateLimit: CreateRateLimit | undefined
): Limits {
  const { rateLimit, authFailureLimit } = options
  return {
    countClient: rateLimit === false ? unlimited : localWindow(rateLimit) ? localCount(rateLimit.max, rateLimit.timeWindow) : storeCount(createRateLimit!),
    failed: authFailureLimit === false ? undefined : failures(createRateLimit!, authFailureLimit)
  }
}

/** A number of milliseconds, and no shared store: counted here. */
function localWindow (limit: Exclude<ResolvedAuthOptions['rateLimit'], false>): limit is typeof limit & { timeWindow: number } {
  return limit.store === undefined && limit.redis === undefined && typeof limit.timeWindow === 'number'
}

function unlimited (request: FastifyRequest, _reply: FastifyReply, key: string, done: Done): void {
  setClient(request, key)
  done()
}

/**
 * A fixed window per client, the way @fastify/rate-limit's local store counts (the window starts at the client's
 * first request), in a record made once per client and reused window after window: nothing is allocated per
 * request. Clients are the accepted credentials, so the map stays small; past 10,000 it drops finished windows.
 */
export class LocalCounter {
  readonly #windows = new Map<string, { count: number, resetAt: number }>()

  constructor (readonly max: number, readonly windowMs: number, readonly now: () => number = Date.now) {}

  /** Counts one request of `key`: 0 when allowed, else the milliseconds until its window ends. */
  hit (key: string): number {
    const now = this.now()
    let window = this.#windows.get(key)
    if (window === undefined) {
      if (this.#windows.size >= 10_000) this.#sweep(now)
      window = { count: 0, resetAt: now + this.windowMs }
      this.#windows.set(key, window)
    } else if (window.resetAt <= now) {
      window.count = 0
      window.resetAt = now + this.windowMs
    }
    return ++window.count > this.max ? window.resetAt - now : 0
  }

  #sweep (now: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key)
    // Still full of live windows (a flood of distinct accepted tokens): start over rather than grow.
    if (this.#windows.size >= 10_000) this.#windows.clear()
  }
}

function localCount (max: number, windowMs: number): Limits['countClient'] {
  const counter = new LocalCounter(max, windowMs)
  return (request, reply, key, done) => {
    setClient(request, key)
    const wait = counter.hit(key)
    if (wait === 0) return done()
    done(limited(request, reply, key, max, Math.max(1, Math.ceil(wait / 1000))))
  }
}

function storeCount (createRateLimit: CreateRateLimit): Limits['countClient'] {
  // Counted only below, once the request's client is set: the key is always the client's.
  const count = createRateLimit({ keyGenerator: (request) => client(request)! })
  return (request, reply, key, done) => {
    setClient(request, key)
    count(request).then((counted) => {
      if (counted.isAllowed || !counted.isExceeded) return done()
      done(limited(request, reply, key, counted.max, Math.max(1, counted.ttlInSeconds)))
    }).catch((err: unknown) => done(unavailable(err)))
  }
}

function limited (request: FastifyRequest, reply: FastifyReply, key: string, max: number, seconds: number): Error {
  reply.header('retry-after', seconds)
  // A fingerprint or a client id: never the token itself.
  request.log.warn({ limit: 'client', client: key, operation: finRoute(request).operation, max, retryAfter: seconds }, 'fastify-fin-helpdesk: rate limited (429)')
  return new FinRateLimitedError(`${seconds} seconds`)
}

function failures (createRateLimit: CreateRateLimit, limit: { max: number, timeWindow: number }): NonNullable<Limits['failed']> {
  const count = createRateLimit({ keyGenerator: (request) => `auth-failure:${request.ip}`, max: limit.max, timeWindow: limit.timeWindow })
  // IPs past their limit, until when. Failures are counted in the shared store (Redis across instances); an IP
  // reaching the limit is remembered here, so further failures from it are refused without a store round trip.
  const blocked = new Map<string, number>()
  const refuse = (request: FastifyRequest, reply: FastifyReply, ms: number): Error => {
    const seconds = Math.max(1, Math.ceil(ms / 1000))
    reply.header('retry-after', seconds)
    request.log.warn({ limit: 'auth-failure', ip: request.ip, retryAfter: seconds }, 'fastify-fin-helpdesk: failed authentications limited (429)')
    return new FinAuthRateLimitedError(`${seconds} seconds`)
  }
  return async (request, reply, err) => {
    const until = blocked.get(request.ip)
    if (until !== undefined) {
      const left = until - Date.now()
      if (left > 0) return refuse(request, reply, left)
      blocked.delete(request.ip)
    }
    let counted
    try {
      counted = await count(request)
    } catch (storeError) {
      return unavailable(storeError)
    }
    if (!counted.isAllowed && counted.remaining === 0) {
      if (blocked.size >= 10_000) blocked.clear()
      blocked.set(request.ip, Date.now() + counted.ttl)
      // Past the limit already (counted by another instance, or this one forgot it): refuse this one too.
      if (counted.isExceeded) return refuse(request, reply, counted.ttl)
    }
    return err
  }
}

/** A store failure that @fastify/rate-limit passed on (skipOnError false): 503, not a bare 500. */
function unavailable (err: unknown): Error {
  if (isClientError(err) || (err as { statusCode?: number }).statusCode === 429) return err as Error
  return new FinRateLimitUnavailableError({ cause: err })
}
