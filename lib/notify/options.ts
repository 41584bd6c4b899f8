import { FinOptionsError } from '../errors.js'
import type { FinOutbox } from './outbox.js'
import { REGION_BASE_URLS, webhookUrl, type FinRegion } from './webhook.js'

/** Time as the notifier sees it; injectable so tests can drive retries without sleeping. */
export interface FinClock {
  now (): number
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

export const systemClock: FinClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout)
}

export interface FinNotifyOptions {
  /** The integration's Identifier from the Fin Deployment UI. */
  integrationId: string
  /** The webhook secret from the Fin Deployment UI, sent as X-Webhook-Key. */
  webhookKey: string
  /** Your Intercom workspace's region. @default 'us' */
  region?: FinRegion
  /**
   * Replaces the region's base URL: everything before /custom_helpdesk_conversation_event/{id}. Must be https
   * (the webhook key travels with every call), except on a loopback host (tests) or with `allowInsecureBaseUrl`.
   * No user or password in it (fetch refuses them): the webhook key authenticates the calls.
   */
  baseUrl?: string
  /** Accept an http:// `baseUrl` on a non-loopback host (e.g. a simulator on a private network). @default false */
  allowInsecureBaseUrl?: boolean
  /** Time allowed for one webhook call, in ms. @default 10000 */
  timeout?: number
  /** Sync calls for one conversation within this many ms make one POST. @default 300 */
  coalesceWindow?: number
  retry?: {
    /** First retry's delay ceiling, in ms (doubled each attempt, with full jitter). @default 1000 */
    baseDelay?: number
    /** Largest delay between attempts, in ms. @default 300000 (5 minutes) */
    maxDelay?: number
    /** Give up on a sync this long after it was first requested, in ms. @default 86400000 (24 hours) */
    maxAge?: number
  }
  /** Webhook calls in flight at once, across conversations. @default 8 */
  concurrency?: number
  /** At most one typing event per conversation and agent within this many ms. @default 3000 */
  typingThrottle?: number
  /** A typing event not delivered within this many ms is dropped, not retried: the indicator is stale. @default 5000 */
  typingStaleAfter?: number
  /** On close, how long in-flight deliveries may finish before they go back to the outbox, in ms. @default 10000 */
  drainTimeout?: number
  /** Where syncs wait until Fin accepted them. @default new MemoryOutbox() (use SqliteOutbox to survive restarts) */
  outbox?: FinOutbox
  /** How long a claimed sync is held before another worker may take it over, in ms. @default 30000 */
  lease?: number
  /** How often to look for work that did not come through this process (other instances, restarts), in ms. @default 1000 */
  pollInterval?: number
  clock?: FinClock
  /** Source of jitter, in [0, 1). @default Math.random */
  random?: () => number
}

export interface ResolvedNotifyOptions {
  url: string
  webhookKey: string
  timeout: number
  coalesceWindow: number
  baseDelay: number
  maxDelay: number
  maxAge: number
  concurrency: number
  typingThrottle: number
  typingStaleAfter: number
  drainTimeout: number
  /** The outbox given in the options; undefined means the plugin makes (and closes) a MemoryOutbox. */
  outbox: FinOutbox | undefined
  lease: number
  pollInterval: number
  clock: FinClock
  random: () => number
}

export function resolveNotifyOptions (options: FinNotifyOptions): ResolvedNotifyOptions {
  if (options === null || typeof options !== 'object') throw new FinOptionsError('notify must be an object')
  for (const key of ['integrationId', 'webhookKey'] as const) {
    if (typeof options[key] !== 'string' || options[key].length === 0) throw new FinOptionsError(`notify.${key} must be a non-empty string`)
  }
  const region = options.region ?? 'us'
  if (!(region in REGION_BASE_URLS)) throw new FinOptionsError('notify.region must be "us", "eu" or "au"')
  const base = options.baseUrl ?? REGION_BASE_URLS[region]
  if (!/^https?:\/\/[^\s]+$/.test(base) || !URL.canParse(base)) throw new FinOptionsError('notify.baseUrl must be an http(s) URL')
  // fetch refuses a URL with credentials (every delivery would fail, its error naming the URL); an "@" elsewhere is a
  // password cut short by a "/", "?" or "#" in it. Never echoed: the message names no part of the URL.
  const parsed = new URL(base)
  if (parsed.username !== '' || parsed.password !== '' || base.includes('@')) throw new FinOptionsError('notify.baseUrl must not contain a user or password')
  if (base.startsWith('http:') && options.allowInsecureBaseUrl !== true && !isLoopback(base)) {
    throw new FinOptionsError('notify.baseUrl must be https (the webhook key would travel in clear): use https, a loopback host, or allowInsecureBaseUrl: true')
  }
  // Two checks, not one with a `min` argument: a "positive" that let 0 through hid which options may be 0.
  const number = (name: string, value: number | undefined, fallback: number, min: 0 | 1): number => {
    const v = value ?? fallback
    if (!Number.isFinite(v) || v < min) throw new FinOptionsError(`notify.${name} must be a number >= ${min}`)
    return v
  }
  /** At least 1 (ms, or a count). */
  const positive = (name: string, value: number | undefined, fallback: number): number => number(name, value, fallback, 1)
  /** 0 turns the feature off (no coalescing, no throttle, no drain wait). */
  const nonNegative = (name: string, value: number | undefined, fallback: number): number => number(name, value, fallback, 0)
  const retry = options.retry ?? {}
  return {
    url: webhookUrl(base, options.integrationId),
    webhookKey: options.webhookKey,
    timeout: positive('timeout', options.timeout, 10_000),
    coalesceWindow: nonNegative('coalesceWindow', options.coalesceWindow, 300),
    baseDelay: positive('retry.baseDelay', retry.baseDelay, 1000),
    maxDelay: positive('retry.maxDelay', retry.maxDelay, 300_000),
    maxAge: positive('retry.maxAge', retry.maxAge, 86_400_000),
    concurrency: Math.floor(positive('concurrency', options.concurrency, 8)),
    typingThrottle: nonNegative('typingThrottle', options.typingThrottle, 3000),
    typingStaleAfter: positive('typingStaleAfter', options.typingStaleAfter, 5000),
    drainTimeout: nonNegative('drainTimeout', options.drainTimeout, 10_000),
    outbox: options.outbox,
    lease: positive('lease', options.lease, 30_000),
    pollInterval: positive('pollInterval', options.pollInterval, 1000),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random
  }
}

/** localhost, 127.0.0.0/8 or ::1: traffic that never leaves the machine. */
function isLoopback (url: string): boolean {
  let host: string
  try {
    host = new URL(url).hostname
  } catch {
    return false
  }
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)
}
