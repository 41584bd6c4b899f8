import type { EventEmitter } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import { causeOf, maskUrl } from './config-errors.js'

/**
 * ioredis emits 'error' on every failed reconnection, and without a listener prints each one to stderr as
 * "[ioredis] Unhandled error event" with a stack. Here each distinct error is one JSON log line, once per outage
 * (the list starts again when Redis is back): the limits fail open meanwhile (docs/scaling.md), which is worth a
 * line, not a flood.
 */
export function logRedisErrors (redis: EventEmitter, log: FastifyBaseLogger, url: string): void {
  let seen = new Set<string>()
  redis.on('error', (err: unknown) => {
    const error = causeOf(err, url)
    if (seen.has(error)) return
    seen.add(error)
    log.warn({ redis: maskUrl(url), error }, 'Redis unreachable: the rate limits fail open (unlimited) until it is back')
  })
  redis.on('ready', () => {
    if (seen.size > 0) log.info({ redis: maskUrl(url) }, 'Redis reachable again: the rate limits apply')
    seen = new Set()
  })
}
