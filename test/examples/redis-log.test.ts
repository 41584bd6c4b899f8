import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import t from 'tap'
import { logRedisErrors } from '../../examples/helpdesk/redis-log.js'

// The example's Redis client under start:postgres: its errors go through the app's logger (JSON lines on stdout),
// once per distinct error and outage, not ioredis's "[ioredis] Unhandled error event" on stderr at every retry.
t.test('each distinct Redis error is logged once per outage, through the app\'s logger, without the URL\'s password', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  const app = Fastify({ logger: { stream, level: 'info' } })
  t.teardown(() => app.close())
  const redis = new EventEmitter()
  logRedisErrors(redis, app.log, 'redis://:redis-pass-0123@127.0.0.1:6390')
  t.equal(redis.listenerCount('error'), 1, 'a listener: ioredis prints nothing of its own')
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' })
  for (let i = 0; i < 20; i++) redis.emit('error', refused)
  redis.emit('error', new Error('WRONGPASS for redis-pass-0123'))
  redis.emit('error', refused)
  t.same(lines.map(({ level, msg, redis, error }) => ({ level, msg, redis, error })), [
    { level: 40, msg: 'Redis unreachable: the rate limits fail open (unlimited) until it is back', redis: 'redis://:***@127.0.0.1:6390', error: 'connect ECONNREFUSED 127.0.0.1:6390' },
    { level: 40, msg: 'Redis unreachable: the rate limits fail open (unlimited) until it is back', redis: 'redis://:***@127.0.0.1:6390', error: 'WRONGPASS for ***' }
  ], 'two distinct errors, two lines')
  redis.emit('ready')
  t.match(lines.at(-1), { level: 30, msg: 'Redis reachable again: the rate limits apply' })
  redis.emit('error', refused)
  t.match(lines.at(-1), { level: 40, error: 'connect ECONNREFUSED 127.0.0.1:6390' }, 'the next outage is logged again')
  t.equal(lines.length, 4)
  redis.emit('ready')
  redis.emit('ready')
  t.equal(lines.length, 5, 'back once: one line')
})
