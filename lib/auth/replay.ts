import type { FastifyRequest } from 'fastify'
import { finRoute, READ_OPERATIONS, type OperationName } from '../operations.js'

/** Remembers the signed writes seen, each at least as long as its signature could be accepted. */
export interface FinReplayStore {
  /**
   * Remembers `key` for `ttl` milliseconds the first time it is given, and answers undefined; afterwards (until it
   * expires) answers how many milliseconds ago that first time was. Must be atomic across the instances that share
   * the store: of two concurrent first sightings, one answers undefined.
   */
  firstSeen: (key: string, ttl: number) => number | undefined | Promise<number | undefined>
}

/** The part of an ioredis client the replay check uses: `SET key 1 PX ttl NX`, then `PTTL key` on a repeat. */
export interface FinReplayRedis {
  set: (key: string, value: string, px: 'PX', ttl: number, nx: 'NX') => Promise<unknown>
  pttl: (key: string) => Promise<number>
}

/**
 * Seen signatures in this process's memory. Bounded: every entry is kept for the same span (twice the tolerance
 * covers a timestamp anywhere in the accepted window), so the oldest are always first in the Map and each insertion
 * evicts the expired ones from its front.
 */
export class MemoryReplayStore implements FinReplayStore {
  /** Key to [first seen, expires], in ms. */
  readonly #seen = new Map<string, [number, number]>()
  readonly #now: () => number

  constructor (options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now
  }

  firstSeen (key: string, ttl: number): number | undefined {
    const now = this.#now()
    for (const [oldest, [, expires]] of this.#seen) {
      if (expires > now) break
      this.#seen.delete(oldest)
    }
    const first = this.#seen.get(key)
    if (first !== undefined) return now - first[0]
    this.#seen.set(key, [now, now + ttl])
    return undefined
  }

  /** How many signatures are remembered. */
  get size (): number {
    return this.#seen.size
  }
}

/**
 * Seen signatures in Redis, shared by every instance: one `SET NX` per signed write; a repeat also asks how long the
 * key has left (`PTTL`), so its age is measured on Redis's clock, whatever the instances' clocks say.
 */
export function redisReplayStore (redis: FinReplayRedis, nameSpace = 'fin-signature-seen-'): FinReplayStore {
  return {
    async firstSeen (key, ttl) {
      const name = `${nameSpace}${key}`
      if ((await redis.set(name, '1', 'PX', ttl, 'NX')) === 'OK') return undefined
      const left = await redis.pttl(name)
      // Gone in between (expired): first seen a whole ttl ago, as old as a repeat can be.
      return left < 0 ? ttl : ttl - left
    }
  }
}

/** When a repeated signature is still accepted; see docs/decisions.md#authentication-and-limits. */
export interface ReplayRule {
  store: FinReplayStore
  /** How long each seen write is remembered, in ms: outlives every moment its timestamp could be accepted. */
  retain: number
  /** A write repeated within this many ms of its first sighting is a retry and passes. */
  grace: number
}

/** The operation a Fin route serves, from its route config (set where the routes are mounted). */
export function routeOperation (request: FastifyRequest): OperationName | undefined {
  return finRoute(request).operation
}

/**
 * Whether a request with a valid signature (`signed`: its timestamp and digest) is a replay to refuse.
 * Reads are never refused: Fin's sync sends get_conversation and get_messages with the same parameters in the same
 * second (one signature for both: Fin signs no method or path), and repeating a read changes nothing. Writes are
 * remembered per operation (method and path), so two operations never collide; a repeat within `grace` is Fin
 * retrying (every write is idempotent: creates by object_id, updates by value) and passes; a later one is refused.
 * An unknown route counts as a write.
 */
export async function isReplay (rule: ReplayRule, request: FastifyRequest, signed: string): Promise<boolean> {
  const operation = routeOperation(request)
  if (operation !== undefined && READ_OPERATIONS.has(operation)) return false
  const age = await rule.store.firstSeen(`${request.method} ${request.routeOptions.url ?? request.url} ${signed}`, rule.retain)
  return age !== undefined && age > rule.grace
}
