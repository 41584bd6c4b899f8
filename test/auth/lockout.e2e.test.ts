import { Redis } from 'ioredis'
import t from 'tap'
import { buildLockoutApp, getAgents } from '../fixtures/lockout.js'
import { haveRedis, REDIS_URL, RUN } from '../fixtures/services.js'

// Someone else's failures never lock Fin out: an IP past its failed-authentication limit is still refused for
// wrong credentials, but a valid credential from it passes.

t.test('Redis: failures are counted across instances, and neither instance locks out the valid token', async (t) => {
  if (!(await haveRedis(t))) return
  const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000 }
  const clients = [new Redis(REDIS_URL, options), new Redis(REDIS_URL, options)]
  t.teardown(() => { for (const client of clients) client.disconnect() })
  await Promise.all(clients.map((client) => new Promise((resolve) => client.once('ready', resolve))))
  const nameSpace = `fin-lockout-${RUN}-`
  t.teardown(async () => {
    const keys = await clients[0]!.keys(`${nameSpace}*`)
    if (keys.length > 0) await clients[0]!.del(...keys)
  })
  const [a, b] = await Promise.all(clients.map((redis) => buildLockoutApp(t, { rateLimit: { redis, nameSpace }, authFailureLimit: { max: 4, timeWindow: 60_000 } })))
  for (let i = 0; i < 2; i++) {
    t.equal((await getAgents(a!, `a-guess-${i}`)).statusCode, 401)
    t.equal((await getAgents(b!, `b-guess-${i}`)).statusCode, 401)
  }
  t.equal((await getAgents(a!, 'a-guess-x')).statusCode, 429, 'the fifth failure, counted across both instances, is 429 on A')
  t.equal((await getAgents(b!, 'b-guess-x')).statusCode, 429, 'and on B')
  t.equal((await getAgents(a!, 'static-fin-token')).statusCode, 200, 'the valid token passes on A')
  t.equal((await getAgents(b!, 'static-fin-token')).statusCode, 200, 'and on B')
})
