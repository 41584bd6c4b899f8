import Fastify from 'fastify'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import finHelpdesk from '../../lib/index.js'
import { type FinRateLimitOptions } from '../../lib/auth/options.js'
import { haveRedis, REDIS_URL, RUN } from '../fixtures/services.js'

const redisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000 }

async function instance (t: Test, rateLimit: FinRateLimitOptions) {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: ['fin-token-0123456789abcdef'], rateLimit })
  await app.ready()
  return app
}

t.test('Redis', async (t) => {
  if (!(await haveRedis(t))) return

  t.test('one limit of N holds across two instances', async (t) => {
    const clients = [new Redis(REDIS_URL, redisOptions), new Redis(REDIS_URL, redisOptions)]
    t.teardown(() => { for (const c of clients) c.disconnect() })
    // With the offline queue off, a command before 'ready' fails (and the limit fails open): wait for it.
    await Promise.all(clients.map((c) => new Promise((resolve) => c.once('ready', resolve))))
    const nameSpace = `fin-test-${RUN}-`
    const [a, b] = await Promise.all(clients.map((redis) => instance(t, { max: 10, timeWindow: 60_000, redis, nameSpace })))
    const call = (app: typeof a) => app!.inject({ url: '/agents', headers: { authorization: 'Bearer fin-token-0123456789abcdef' } })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await call(a)).statusCode, (await call(b)).statusCode)
    t.equal(statuses.filter((s) => s === 200).length, 10, '10 allowed in all')
    t.same(statuses.slice(-2), [429, 429], 'the 11th and 12th, whichever instance they reach, are refused')
    const keys = await clients[0]!.keys(`${nameSpace}*`)
    t.ok(keys.length > 0 && keys.every((key) => !key.includes('fin-token-0123456789abcdef')), 'keys hold a fingerprint, never the token')
    await clients[0]!.del(...keys)
  })

  t.test('Redis unreachable: fail open by default, 503 when asked to fail closed', async (t) => {
    const down = () => new Redis('redis://127.0.0.1:1', { ...redisOptions, lazyConnect: true, retryStrategy: () => null })
    const open = down()
    const closed = down()
    t.teardown(() => { open.disconnect(); closed.disconnect() })
    const failOpen = await instance(t, { max: 1, redis: open })
    for (let i = 0; i < 3; i++) {
      t.equal((await failOpen.inject({ url: '/agents', headers: { authorization: 'Bearer fin-token-0123456789abcdef' } })).statusCode, 200, 'served, unlimited')
    }
    const failClosed = await instance(t, { max: 1, redis: closed, skipOnError: false })
    const res = await failClosed.inject({ url: '/agents', headers: { authorization: 'Bearer fin-token-0123456789abcdef' } })
    t.equal(res.statusCode, 503)
    t.match(res.json(), { code: 'FIN_ERR_RATE_LIMIT_UNAVAILABLE' })
  })
})
