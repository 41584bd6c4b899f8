import Fastify from 'fastify'
import { Redis } from 'ioredis'
import t from 'tap'
import finHelpdesk, { MemoryStorage } from '../../lib/index.js'
import { signFinRequest } from '../../lib/simulator/index.js'
import { ManualClock } from '../fixtures/clock.js'
import { API_TOKEN, replayCases, SIGNING_SECRET } from '../fixtures/replay-cases.js'
import { haveRedis, REDIS_URL, RUN } from '../fixtures/services.js'

// Two instances of one helpdesk: one storage, one Redis. What one saw, the other knows.
for (const variant of ['standard', 'posts-only'] as const) {
  t.test(`Redis, two instances, ${variant}: Fin's sync, repeated reads and retried writes pass; a late replay is refused`, async (t) => {
    if (!(await haveRedis(t))) return
    const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000 }
    const clients = [new Redis(REDIS_URL, options), new Redis(REDIS_URL, options)]
    t.teardown(() => { for (const client of clients) client.disconnect() })
    await Promise.all(clients.map((client) => new Promise((resolve) => client.once('ready', resolve))))
    const nameSpace = `fin-replay-${RUN}-${variant}-`
    t.teardown(async () => {
      const keys = await clients[0]!.keys(`${nameSpace}*`)
      if (keys.length > 0) await clients[0]!.del(...keys)
    })
    const clock = new ManualClock(Date.now())
    const storage = new MemoryStorage()
    const [a, b] = await Promise.all(clients.map(async (redis) => {
      const app = Fastify()
      t.teardown(() => app.close())
      await app.register(finHelpdesk, { tokens: [API_TOKEN], storage, authFailureLimit: false, signature: { secrets: [SIGNING_SECRET], redis, nameSpace, retryGrace: 1, now: () => clock.now() } })
      return app
    }))
    // The grace is measured on Redis's clock: wait (real time) until every write seen so far is older than it.
    const afterGrace = async () => {
      const keys = await clients[0]!.keys(`${nameSpace}*`)
      for (const key of keys) {
        while (600_000 - await clients[0]!.pttl(key) <= 1_000) await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    await replayCases(t, { a: a!, b: b!, seconds: () => Math.floor(clock.now() / 1000), later: (ms) => clock.advance(ms), afterGrace }, variant)
    const keys = await clients[0]!.keys(`${nameSpace}*`)
    t.ok(keys.length > 0 && keys.every((key) => /^fin-replay-.+-(POST|PUT) \/[a-z_]+ \d+:[\w-]{43}$/.test(key) && !/\/get_|\/agents /.test(key)), 'writes only, per operation')
    const ttl = await clients[0]!.pttl(keys[0]!)
    t.ok(ttl > 0 && ttl <= 600_000, `kept for twice the tolerance at most (${ttl} ms)`)
  })
}

t.test('Redis: a write first seen by one instance, replayed to the other after the grace, is refused', async (t) => {
  if (!(await haveRedis(t))) return
  const redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000 })
  t.teardown(() => redis.disconnect())
  await new Promise((resolve) => redis.once('ready', resolve))
  const nameSpace = `fin-replay-${RUN}-two-`
  const build = async () => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(finHelpdesk, { tokens: [API_TOKEN], authFailureLimit: false, signature: { secrets: [SIGNING_SECRET], redis, nameSpace, retryGrace: 0 } })
    return app
  }
  const [a, b] = [await build(), await build()]
  const body = JSON.stringify({ name: 'Jane', object_id: 'ic_1' })
  const headers = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', ...signFinRequest({ secret: SIGNING_SECRET, body }) }
  t.equal((await a.inject({ method: 'POST', url: '/create_user', headers, payload: body })).statusCode, 201, 'first seen on A')
  const [key] = await redis.keys(`${nameSpace}*`)
  while (await redis.pttl(key!) >= 600_000) await new Promise((resolve) => setTimeout(resolve, 5))
  const replay = await b.inject({ method: 'POST', url: '/create_user', headers, payload: body })
  t.equal(replay.statusCode, 401, 'replayed to B')
  t.same(Object.keys(replay.json()), ['error'])
  await redis.del(key!)
})
