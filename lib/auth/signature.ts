import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { FinOptionsError } from '../errors.js'
import { isReplay, MemoryReplayStore, redisReplayStore, type FinReplayRedis, type FinReplayStore } from './replay.js'

export type { FinReplayRedis, FinReplayStore } from './replay.js'
export { MemoryReplayStore, redisReplayStore } from './replay.js'

/** The shortest HMAC key accepted (the same minimum as static tokens: lib/auth/options.ts). */
const MIN_SIGNING_SECRET_LENGTH = 16

export interface FinSignatureOptions {
  /** HMAC keys from the Fin deployment settings, each at least 16 characters; several at once for rotation. */
  secrets: string | string[]
  /** How far X-Fin-Request-Timestamp may be from now, either way, in seconds. @default 300 */
  tolerance?: number
  /**
   * What is signed for a request without a body: by default its query parameters sorted by name, as
   * `name=value` pairs (each percent-encoded) joined by "&". Replace it if Fin turns out to sign otherwise.
   */
  canonicalQuery?: (request: FastifyRequest) => string
  /**
   * A signed write (create_*, update_*) repeated more than this many seconds after it was first seen is a replay,
   * answered 401; a repeat within it is Fin retrying, and passes (every write is idempotent). Reads are never
   * refused as replays: Fin's own sync repeats their signature. From 0 to `tolerance`.
   * @default 60 (the tolerance, if shorter)
   */
  retryGrace?: number
  /**
   * Where the signed writes seen are remembered (per operation, timestamp and signature), so a captured write cannot
   * be replayed within the tolerance window. Give `redis` instead when several instances share one.
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

/** Why a signature was refused; `replay`: it is valid, but the request was already served (see isReplay). */
export interface SignatureRefusal {
  reason: string
  replay: boolean
}

/** The refusal, or undefined when the signature is valid and the request no replay. */
export type SignatureCheck = (request: FastifyRequest, rawBody: string | undefined) => Promise<SignatureRefusal | undefined>

/** The checked signature options. */
export interface ResolvedSignatureOptions {
  secrets: string[]
  tolerance: number
  /** In seconds. */
  retryGrace: number
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
  if (secrets.length === 0) throw new FinOptionsError('signature.secrets must list at least one secret')
  if (secrets.some((s) => typeof s !== 'string' || s.length < MIN_SIGNING_SECRET_LENGTH)) {
    throw new FinOptionsError(`signature.secrets must have at least ${MIN_SIGNING_SECRET_LENGTH} characters each`)
  }
  const tolerance = options.tolerance ?? 300
  if (!(tolerance > 0)) throw new FinOptionsError('signature.tolerance must be a positive number of seconds')
  const retryGrace = options.retryGrace ?? Math.min(60, tolerance)
  if (!(retryGrace >= 0 && retryGrace <= tolerance)) {
    throw new FinOptionsError('signature.retryGrace must be a number of seconds from 0 to signature.tolerance')
  }
  if (options.replayStore !== undefined && options.redis !== undefined) {
    throw new FinOptionsError('signature: give replayStore or redis, not both')
  }
  if (options.replayStore !== undefined && typeof options.replayStore?.firstSeen !== 'function') {
    throw new FinOptionsError('signature.replayStore must have a firstSeen(key, ttl) method')
  }
  if (options.redis !== undefined && (typeof options.redis?.set !== 'function' || typeof options.redis?.pttl !== 'function')) {
    throw new FinOptionsError('signature.redis must be an ioredis client')
  }
  if (options.nameSpace !== undefined && (typeof options.nameSpace !== 'string' || options.redis === undefined)) {
    throw new FinOptionsError('signature.nameSpace must be a string, with signature.redis')
  }
  return {
    secrets,
    tolerance,
    retryGrace,
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
 * with X-Fin-Request-Timestamp within the tolerance; then refuses a replayed write (isReplay).
 */
export function createSignatureCheck (options: ResolvedSignatureOptions): SignatureCheck {
  const { secrets, tolerance, canonicalQuery: canonical, now } = options
  const rule = {
    store: options.replayStore ??
      (options.redis === undefined ? new MemoryReplayStore({ now }) : redisReplayStore(options.redis, options.nameSpace)),
    // A timestamp is accepted from `tolerance` before now to `tolerance` after: remembering a write for twice the
    // tolerance outlives every moment at which it could be accepted again.
    retain: 2 * tolerance * 1000,
    grace: options.retryGrace * 1000
  }
  const refuse = (reason: string): SignatureRefusal => ({ reason, replay: false })

  return async (request, rawBody) => {
    const timestamp = request.headers['x-fin-request-timestamp']
    const signature = request.headers['x-fin-signature']
    if (typeof timestamp !== 'string' || typeof signature !== 'string') return refuse('missing X-Fin-Request-Timestamp or X-Fin-Signature')
    if (!/^\d{1,12}$/.test(timestamp)) return refuse('X-Fin-Request-Timestamp must be seconds since the epoch')
    const skew = Math.abs(now() / 1000 - Number(timestamp))
    if (skew > tolerance) return refuse(`X-Fin-Request-Timestamp is ${Math.round(skew)} s away from now (at most ${tolerance} s)`)
    const given = decodeDigest(signature)
    if (given === undefined) return refuse('X-Fin-Signature must be a hex or base64 HMAC-SHA256')
    const signed = signedPayload(timestamp, rawBody, rawBody === undefined || rawBody === '' ? canonical(request) : '')
    let valid = false
    for (const secret of secrets) {
      // No early exit: every secret is tried, so timing says nothing about which one matched.
      if (timingSafeEqual(createHmac('sha256', secret).update(signed).digest(), given)) valid = true
    }
    if (!valid) return refuse('X-Fin-Signature does not match')
    // Remembered only once valid, so forgeries cannot fill the store. The digest's bytes name it: the same
    // signature in hex and in base64 is the same signature.
    let replayed: boolean
    try {
      replayed = await isReplay(rule, request, `${timestamp}:${given.toString('base64url')}`)
    } catch (err) {
      // Fail open, like the rate limit: a store outage must not cut Fin off; the signature itself is valid.
      request.log.error({ err }, 'fastify-fin-helpdesk: the replay store failed; signature accepted unchecked for replay')
      replayed = false
    }
    return replayed ? { reason: `this signature was already used more than ${options.retryGrace} s ago (a replayed write)`, replay: true } : undefined
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
