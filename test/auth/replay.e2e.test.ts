import Fastify from 'fastify'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import finHelpdesk, { signFinRequest, type FinHelpdeskPluginOptions } from '../../lib/index.js'
import { ManualClock } from '../fixtures/clock.js'
import { haveRedis, REDIS_URL, RUN } from '../fixtures/services.js'

const SECRET = 'signing-secret-one'
const AUTH = { authorization: 'Bearer tok' }
const body = JSON.stringify({ name: 'Jane', object_id: 'ic_1' })

async function build (t: Test, signature: Partial<NonNullable<FinHelpdeskPluginOptions['signature']>> = {}, clock = new ManualClock()) {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: ['tok'], authFailureLimit: false, signature: { secrets: [SECRET], now: () => clock.now(), ...signature } })
  await app.ready()
  return app
}

function post (app: Awaited<ReturnType<typeof build>>, signed: Record<string, string>, url = '/create_user') {
  return app.inject({ method: 'POST', url, headers: { ...AUTH, 'content-type': 'application/json', ...signed }, payload: body })
}

t.test('Redis: a request seen by one instance is a replay on the other', async (t) => {
  if (!(await haveRedis(t))) return
  const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000 }
  const clients = [new Redis(REDIS_URL, options), new Redis(REDIS_URL, options)]
  t.teardown(() => { for (const client of clients) client.disconnect() })
  await Promise.all(clients.map((client) => new Promise((resolve) => client.once('ready', resolve))))
  const nameSpace = `fin-replay-${RUN}-`
  const clock = new ManualClock(Date.now())
  const [a, b] = await Promise.all(clients.map((redis) => build(t, { redis, nameSpace, tolerance: 30 }, clock)))
  const signed = signFinRequest({ secret: SECRET, body, timestamp: Math.floor(clock.now() / 1000) })
  t.equal((await post(a!, signed)).statusCode, 201, 'first seen on A')
  t.equal((await post(b!, signed)).statusCode, 401, 'replayed to B')
  const keys = await clients[0]!.keys(`${nameSpace}*`)
  t.equal(keys.length, 1)
  const ttl = await clients[0]!.pttl(keys[0]!)
  t.ok(ttl > 0 && ttl <= 60_000, `kept for twice the tolerance at most (${ttl} ms)`)
  await clients[0]!.del(...keys)
})
