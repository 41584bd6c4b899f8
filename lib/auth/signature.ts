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

/** Why a signature was refused, or undefined when it is valid. */
export type SignatureCheck = (request: FastifyRequest, rawBody: string | undefined) => string | undefined

/** The checked signature options. */
export interface ResolvedSignatureOptions {
  secrets: string[]
  tolerance: number
  canonicalQuery: (request: FastifyRequest) => string
  now: () => number
}

/** Checks and completes `signature`, at register time; never changes its input. */
export function resolveSignatureOptions (options: FinSignatureOptions): ResolvedSignatureOptions {
  const secrets = [options.secrets].flat()
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new FinOptionsError('signature.secrets must be non-empty strings')
  }
  const tolerance = options.tolerance ?? 300
  if (!(tolerance > 0)) throw new FinOptionsError('signature.tolerance must be a positive number of seconds')
  return { secrets, tolerance, canonicalQuery: options.canonicalQuery ?? sortedQuery, now: options.now ?? Date.now }
}

/**
 * Verifies X-Fin-Signature: HMAC-SHA256 of `{timestamp}:{raw body}` (or `{timestamp}:{canonical query}` without a
 * body) under any configured secret, hex or base64 (an optional "sha256=" prefix is allowed), in constant time,
 * with X-Fin-Request-Timestamp within the tolerance.
 */
export function createSignatureCheck ({ secrets, tolerance, canonicalQuery: canonical, now }: ResolvedSignatureOptions): SignatureCheck {
  return (request, rawBody) => {
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
    return valid ? undefined : 'X-Fin-Signature does not match'
  }
}

function decodeDigest (value: string): Buffer | undefined {
  const digest = value.trim().replace(/^sha256=/i, '')
  if (/^[0-9a-f]{64}$/i.test(digest)) return Buffer.from(digest, 'hex')
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(digest)) {
    const bytes = Buffer.from(digest.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
    return bytes.length === 32 ? bytes : undefined
  }
  return undefined
}
