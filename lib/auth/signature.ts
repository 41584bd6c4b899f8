import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { FinOptionsError } from '../errors.js'

export interface FinSignatureOptions {
  /** HMAC keys from the Fin deployment settings; several at once for rotation. */
  secrets: string | string[]
  /** How far X-Fin-Request-Timestamp may be from now, either way, in seconds. @default 300 */
  tolerance?: number
  /**
   * What is signed for a request without a body: by default its query parameters sorted by name, as
   * `name=value` pairs (each percent-encoded) joined by "&". Replace it if Fin turns out to sign otherwise.
   */
  canonicalQuery?: (request: FastifyRequest) => string
  /**
   * Where seen (timestamp, signature) pairs are remembered, so a captured request cannot be replayed within the
   * tolerance window: a repeat is answered 401. Give `redis` instead when several instances share one.
   * @default a MemoryReplayStore (per instance)
   */
  replayStore?: FinReplayStore
  /** An ioredis client: seen signatures are then remembered in Redis, shared by every instance. */
  redis?: FinReplayRedis
  /** Key prefix of the seen signatures in Redis. @default 'fin-signature-seen-' */
  nameSpace?: string
  /** Milliseconds since the epoch; injectable for tests. @default Date.now */
  now?: () => number
}

/** Remembers the signatures seen, each at least as long as it could be accepted. */
export interface FinReplayStore {
  /**
   * Remembers `key` for `ttl` milliseconds: true when it was new, false when it was already there (a replay).
   * Must be atomic across the instances that share the store.
   */
  remember: (key: string, ttl: number) => boolean | Promise<boolean>
}

/** The part of an ioredis client the replay check uses (`SET key value PX ttl NX`). */
export interface FinReplayRedis {
  set: (key: string, value: string, px: 'PX', ttl: number, nx: 'NX') => Promise<unknown>
}

/**
 * Seen signatures in this process's memory. Bounded: every entry is kept for the same span (`retain`: twice the
 * tolerance covers a timestamp anywhere in the accepted window), so the oldest are always first in the Map and each
 * insertion evicts the expired ones from its front.
 */
export class MemoryReplayStore implements FinReplayStore {
  readonly #seen = new Map<string, number>()
  readonly #now: () => number

  constructor (options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now
  }

  remember (key: string, ttl: number): boolean {
    const now = this.#now()
    for (const [oldest, expires] of this.#seen) {
      if (expires > now) break
      this.#seen.delete(oldest)
    }
    if (this.#seen.has(key)) return false
    this.#seen.set(key, now + ttl)
    return true
  }

  /** How many signatures are remembered. */
  get size (): number {
    return this.#seen.size
  }
}

/** Seen signatures in Redis, shared by every instance: one `SET NX` per signed request. */
export function redisReplayStore (redis: FinReplayRedis, nameSpace = 'fin-signature-seen-'): FinReplayStore {
  return { remember: async (key, ttl) => (await redis.set(`${nameSpace}${key}`, '1', 'PX', ttl, 'NX')) === 'OK' }
}

/** The default form of the signed query: `a=1&b=x%20y`, sorted by name (then value), percent-encoded. */
export function sortedQuery (request: FastifyRequest): string {
  return canonicalQuery((request.query ?? {}) as FinQuery)
}

export type FinQuery = Record<string, string | number | boolean | Array<string | number | boolean> | undefined>

/** Query parameters as Fin signs them: `name=value` pairs sorted by name (then value), percent-encoded, joined by "&". */
export function canonicalQuery (query: FinQuery): string {
  const pairs: Array<[string, string]> = []
  for (const [name, value] of Object.entries(query)) {
    for (const one of [value ?? ''].flat()) pairs.push([name, String(one)])
  }
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&')
}

/** What is signed: `{timestamp}:{raw body}`, or `{timestamp}:{canonical query}` for a request without a body. */
export function signedPayload (timestamp: string | number, rawBody: string | undefined, query: string): string {
  return `${timestamp}:${rawBody === undefined || rawBody === '' ? query : rawBody}`
}

export interface FinRequestToSign {
  /** One of the HMAC keys the helpdesk verifies with. */
  secret: string
  /** The raw JSON body, exactly as sent (POST and PUT). */
  body?: string
  /** The query parameters of a request without a body (standard GETs). */
  query?: FinQuery
  /** Seconds since the epoch. @default now */
  timestamp?: number
}

/**
 * Signs a request the way Fin does: the headers to send with it. The counterpart of the plugin's `signature`
 * option, for clients, simulators and tests.
 */
export function signFinRequest (request: FinRequestToSign): { 'x-fin-request-timestamp': string, 'x-fin-signature': string } {
  const timestamp = String(request.timestamp ?? Math.floor(Date.now() / 1000))
  const payload = signedPayload(timestamp, request.body, canonicalQuery(request.query ?? {}))
  return {
    'x-fin-request-timestamp': timestamp,
    'x-fin-signature': createHmac('sha256', request.secret).update(payload).digest('hex')
  }
}

/** Why a signature was refused, or undefined when it is valid and seen for the first time. */
export type SignatureCheck = (request: FastifyRequest, rawBody: string | undefined) => Promise<string | undefined>

/** The checked signature options. */
export interface ResolvedSignatureOptions {
  secrets: string[]
  tolerance: number
  canonicalQuery: (request: FastifyRequest) => string
  now: () => number
  /** The given store, or undefined: the check then makes a MemoryReplayStore (or uses `redis`). */
  replayStore: FinReplayStore | undefined
  redis: FinReplayRedis | undefined
  nameSpace: string | undefined
}

/** Checks and completes `signature`, at register time; never changes its input. */
export function resolveSignatureOptions (options: FinSignatureOptions): ResolvedSignatureOptions {
  const secrets = [options.secrets].flat()
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new FinOptionsError('signature.secrets must be non-empty strings')
  }
  const tolerance = options.tolerance ?? 300
  if (!(tolerance > 0)) throw new FinOptionsError('signature.tolerance must be a positive number of seconds')
  if (options.replayStore !== undefined && options.redis !== undefined) {
    throw new FinOptionsError('signature: give replayStore or redis, not both')
  }
  if (options.replayStore !== undefined && typeof options.replayStore?.remember !== 'function') {
    throw new FinOptionsError('signature.replayStore must have a remember(key, ttl) method')
  }
  if (options.redis !== undefined && typeof options.redis?.set !== 'function') {
    throw new FinOptionsError('signature.redis must be an ioredis client')
  }
  if (options.nameSpace !== undefined && (typeof options.nameSpace !== 'string' || options.redis === undefined)) {
    throw new FinOptionsError('signature.nameSpace must be a string, with signature.redis')
  }
  return {
    secrets,
    tolerance,
    canonicalQuery: options.canonicalQuery ?? sortedQuery,
    now: options.now ?? Date.now,
    replayStore: options.replayStore,
    redis: options.redis,
    nameSpace: options.nameSpace
  }
}

/**
 * Verifies X-Fin-Signature: HMAC-SHA256 of `{timestamp}:{raw body}` (or `{timestamp}:{canonical query}` without a
 * body) under any configured secret, hex or base64 (an optional "sha256=" prefix is allowed), in constant time,
 * with X-Fin-Request-Timestamp within the tolerance, and refuses a (timestamp, signature) pair already seen.
 */
export function createSignatureCheck (options: ResolvedSignatureOptions): SignatureCheck {
  const { secrets, tolerance, canonicalQuery: canonical, now } = options
  const seen = options.replayStore ??
    (options.redis === undefined ? new MemoryReplayStore({ now }) : redisReplayStore(options.redis, options.nameSpace))
  // A timestamp is accepted from `tolerance` before now to `tolerance` after: remembering a pair for twice the
  // tolerance outlives every moment at which it could be accepted again.
  const retain = 2 * tolerance * 1000

  return async (request, rawBody) => {
    const timestamp = request.headers['x-fin-request-timestamp']
    const signature = request.headers['x-fin-signature']
    if (typeof timestamp !== 'string' || typeof signature !== 'string') return 'missing X-Fin-Request-Timestamp or X-Fin-Signature'
    if (!/^\d{1,12}$/.test(timestamp)) return 'X-Fin-Request-Timestamp must be seconds since the epoch'
    const skew = Math.abs(now() / 1000 - Number(timestamp))
    if (skew > tolerance) return `X-Fin-Request-Timestamp is ${Math.round(skew)} s away from now (at most ${tolerance} s)`
    const given = decodeDigest(signature)
    if (given === undefined) return 'X-Fin-Signature must be a hex or base64 HMAC-SHA256'
    const signed = signedPayload(timestamp, rawBody, rawBody === undefined || rawBody === '' ? canonical(request) : '')
    let valid = false
    for (const secret of secrets) {
      // No early exit: every secret is tried, so timing says nothing about which one matched.
      if (timingSafeEqual(createHmac('sha256', secret).update(signed).digest(), given)) valid = true
    }
    if (!valid) return 'X-Fin-Signature does not match'
    // Remembered only once valid, so forgeries cannot fill the store. The digest's bytes name it: the same
    // signature in hex and in base64 is the same signature.
    let fresh: boolean
    try {
      fresh = await seen.remember(`${timestamp}:${given.toString('base64url')}`, retain)
    } catch (err) {
      // Fail open, like the rate limit: a store outage must not cut Fin off; the signature itself is valid.
      request.log.error({ err }, 'fastify-fin-helpdesk: the replay store failed; signature accepted unchecked for replay')
      fresh = true
    }
    return fresh ? undefined : 'this signature was already used (a replayed request)'
  }
}

function decodeDigest (value: string): Buffer | undefined {
  const digest = value.trim().replace(/^sha256=/i, '')
  if (/^[0-9a-f]{64}$/i.test(digest)) return Buffer.from(digest, 'hex')
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(digest)) {
    // 43 base64 characters always carry exactly 32 bytes.
    return Buffer.from(digest.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  }
  return undefined
}
