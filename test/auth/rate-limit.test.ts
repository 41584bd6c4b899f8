import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import Fastify from 'fastify'
import t from 'tap'
import finHelpdesk from '../../lib/index.js'
import { ATTACKER, buildLockoutApp, CLIENT, getAgents, type LockoutApp } from '../fixtures/lockout.js'

const AUTH = { authorization: 'Bearer fin-token-0123456789abcdef' }

function capture () {
  const lines: Array<{ level: number, msg: string } & Record<string, unknown>> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  return { app, lines }
}

t.test('the default limit carries 100 requests a second from one integration for a whole minute', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: ['fin-token-0123456789abcdef'] })
  // 6000 requests inside one window: a minute of Fin at 100 requests a second. None may be throttled.
  const counts = new Map<number, number>()
  for (let batch = 0; batch < 60; batch++) {
    const statuses = await Promise.all(Array.from({ length: 100 }, () => app.inject({ url: '/agents', headers: AUTH })))
    for (const { statusCode } of statuses) counts.set(statusCode, (counts.get(statusCode) ?? 0) + 1)
  }
  t.same(Object.fromEntries(counts), { 200: 6000 })
})

t.test('every 429 is logged at warn, naming the limit but never the token', async (t) => {
  const { app, lines } = capture()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: ['fin-token-0123456789abcdef'], rateLimit: { max: 1 }, authFailureLimit: { max: 1, timeWindow: 60_000 } })
  t.equal((await app.inject({ url: '/agents', headers: AUTH })).statusCode, 200)
  t.equal((await app.inject({ url: '/agents', headers: AUTH })).statusCode, 429)
  t.equal((await app.inject({ url: '/agents', headers: { authorization: 'Bearer wrong-secret-guess' } })).statusCode, 401)
  t.equal((await app.inject({ url: '/agents', headers: { authorization: 'Bearer wrong-secret-guess-2' } })).statusCode, 429)
  const limited = lines.filter((line) => /\(429\)/.test(line.msg))
  t.equal(limited.length, 2)
  t.match(limited[0], { level: 40, limit: 'client', client: /^token:[\w-]{22}$/, operation: 'getAgents', max: 1, retryAfter: Number })
  t.match(limited[1], { level: 40, limit: 'auth-failure', ip: '127.0.0.1', retryAfter: Number })
  const all = lines.map((line) => JSON.stringify(line)).join('\n')
  t.notMatch(all, /fin-token|wrong-secret-guess/, 'no token in any log line')
})

// A limit counted through @fastify/rate-limit: a window in words (its in-process store) or a `store` class, the way
// Redis shares a count between instances. The stores below stand for a backend we do not ship.
type StoreCallback = Parameters<FastifyRateLimitStore['incr']>[1]

/** One count per key for every instance that uses the class, as one Redis is for all of them. */
function sharedStore (): FastifyRateLimitStoreCtor {
  const counts = new Map<string, number>()
  return class SharedStore implements FastifyRateLimitStore {
    incr (key: string, callback: StoreCallback, timeWindow: number) {
      const current = (counts.get(key) ?? 0) + 1
      counts.set(key, current)
      callback(null, { current, ttl: timeWindow })
    }

    child () { return this }
  }
}

/** A store whose backend is unreachable: every count fails. */
class UnreachableStore implements FastifyRateLimitStore {
  incr (_key: string, callback: StoreCallback) { callback(new Error('connect ECONNREFUSED 10.0.0.9:6379')) }
  child () { return this }
}

const tokenRequest = (app: LockoutApp, secret: string) => app.inject({
  method: 'POST', url: '/fin/oauth/token', remoteAddress: ATTACKER, payload: { grant_type: 'client_credentials', client_id: CLIENT.id, client_secret: secret }
})

t.test('a window in words counts in @fastify/rate-limit\'s store: the max passes, the next is 429 with Retry-After', async (t) => {
  const app = await buildLockoutApp(t, { rateLimit: { max: 2, timeWindow: '1 minute' } })
  t.same([(await getAgents(app, 'static-fin-token')).statusCode, (await getAgents(app, 'static-fin-token')).statusCode], [200, 200])
  const limited = await getAgents(app, 'static-fin-token')
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { code: 'FIN_ERR_RATE_LIMITED', message: /retry in 60 seconds/ })
  t.equal(limited.headers['retry-after'], '60')
})

t.test('a shared store: one client limit for two instances, and an IP past its failure limit on one is refused at once on the other', async (t) => {
  const store = sharedStore()
  const options = { rateLimit: { max: 3, store }, authFailureLimit: { max: 2, timeWindow: 60_000 } }
  const [a, b] = [await buildLockoutApp(t, options), await buildLockoutApp(t, options)]
  const statuses = [(await getAgents(a, 'static-fin-token')).statusCode, (await getAgents(b, 'static-fin-token')).statusCode, (await getAgents(a, 'static-fin-token')).statusCode]
  t.same(statuses, [200, 200, 200])
  t.equal((await getAgents(b, 'static-fin-token')).statusCode, 429, 'the fourth, on either instance, is over the one limit')

  t.same([(await getAgents(a, 'guess-0123456789-0')).statusCode, (await getAgents(a, 'guess-0123456789-1')).statusCode], [401, 401], 'A: the limit\'s two failures')
  const refused = await getAgents(b, 'guess-0123456789-2')
  t.equal(refused.statusCode, 429, 'B has not seen this IP fail, but the store has counted it past the limit')
  t.match(refused.json(), { code: 'FIN_ERR_AUTH_RATE_LIMITED' })
  t.equal(refused.headers['retry-after'], '60')
})

t.test('a store that fails: the limits fail open by default; with skipOnError false, 503 FIN_ERR_RATE_LIMIT_UNAVAILABLE', async (t) => {
  const open = await buildLockoutApp(t, { rateLimit: { store: UnreachableStore } })
  t.equal((await getAgents(open, 'static-fin-token')).statusCode, 200, 'a valid token is served, unlimited')
  t.equal((await getAgents(open, 'guess-0123456789')).statusCode, 401, 'a wrong one is 401 as ever')
  t.equal((await tokenRequest(open, CLIENT.secret)).statusCode, 200, 'the token endpoint issues tokens')

  const { app: closed, lines } = capture()
  t.teardown(() => closed.close())
  await closed.register(finHelpdesk, { prefix: '/fin', tokens: ['static-fin-token'], oauth: { clients: [CLIENT] }, rateLimit: { store: UnreachableStore, skipOnError: false } })
  for (const token of ['static-fin-token', 'guess-0123456789']) {
    const res = await getAgents(closed, token)
    t.equal(res.statusCode, 503, `${token}: neither the client limit nor the failure limit can count`)
    t.match(res.json(), { code: 'FIN_ERR_RATE_LIMIT_UNAVAILABLE' })
  }
  for (const secret of [CLIENT.secret, 'wrong-secret-0123456789']) {
    const res = await tokenRequest(closed, secret)
    t.equal(res.statusCode, 503, `the token endpoint with the ${secret === CLIENT.secret ? 'right' : 'wrong'} secret: unavailable, not a 500`)
    t.same(res.json(), { error: 'temporarily_unavailable', error_description: 'The rate limit store is unavailable, retry later' })
  }
  const errors = lines.filter((line) => line.level >= 50)
  t.equal(errors.length, 4, 'each logged at error')
  for (const line of errors) t.match(line, { err: { code: 'FIN_ERR_RATE_LIMIT_UNAVAILABLE', message: /ECONNREFUSED/ } }, 'with the store\'s error')
})

t.test('an IP\'s failed-authentication block ends with its window: its next failure is counted afresh', async (t) => {
  // The window is @fastify/rate-limit's, on the real clock: long enough for two requests on a loaded machine, and
  // its end is watched for (a blocked failure is refused without being counted), not slept through.
  const app = await buildLockoutApp(t, { authFailureLimit: { max: 1, timeWindow: 1000 } })
  t.equal((await getAgents(app, 'guess-0123456789-0')).statusCode, 401, 'the limit\'s one failure')
  const blockedAt = Date.now()
  t.equal((await getAgents(app, 'guess-0123456789-1')).statusCode, 429, 'blocked within the window')
  let status = 429
  for (let i = 2; status === 429 && Date.now() < blockedAt + 10_000; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    status = (await getAgents(app, `guess-0123456789-${i}`)).statusCode
  }
  t.equal(status, 401, 'a new window: a failure like the first')
  t.ok(Date.now() - blockedAt >= 500, 'not before the window could end')
  t.equal((await getAgents(app, 'guess-0123456789-x')).statusCode, 429, 'and blocked again')
})
