import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { type FinHelpdeskOptions } from '../../lib/index.js'
import { MemoryReplayStore, signFinRequest, type FinReplayStore } from '../../lib/auth/signature.js'
import { ManualClock } from '../fixtures/clock.js'
import { API_TOKEN, assertReplayRefused, replayCases, signedCaller, SIGNING_SECRET } from '../fixtures/replay-cases.js'

const SECRET = SIGNING_SECRET
const AUTH = { authorization: `Bearer ${API_TOKEN}` }
const body = JSON.stringify({ name: 'Jane', object_id: 'ic_1' })
type Signature = Partial<NonNullable<FinHelpdeskOptions['signature']>>

async function build (t: Test, signature: Signature = {}, clock = new ManualClock(), extra: Partial<FinHelpdeskOptions> = {}) {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: [API_TOKEN], authFailureLimit: false, signature: { secrets: [SECRET], now: () => clock.now(), ...signature }, ...extra })
  await app.ready()
  return app
}

function post (app: Awaited<ReturnType<typeof build>>, signed: Record<string, string>, url = '/create_user') {
  return app.inject({ method: 'POST', url, headers: { ...AUTH, 'content-type': 'application/json', ...signed }, payload: body })
}

for (const variant of ['standard', 'posts-only'] as const) {
  t.test(`${variant}: Fin's sync, repeated reads and retried writes pass; a write replayed after the grace is refused (memory store)`, async (t) => {
    const clock = new ManualClock()
    const app = await build(t, {}, clock)
    await replayCases(t, {
      a: app,
      b: app,
      seconds: () => Math.floor(clock.now() / 1000),
      later: (ms) => clock.advance(ms),
      afterGrace: () => clock.advance(60_001)
    }, variant)
  })
}

t.test('the grace is the retryGrace option, measured from the first sighting', async (t) => {
  const clock = new ManualClock()
  const app = await build(t, { retryGrace: 5 }, clock)
  const signed = signFinRequest({ secret: SECRET, body, timestamp: Math.floor(clock.now() / 1000) })
  t.equal((await post(app, signed)).statusCode, 201)
  await clock.advance(5_000)
  t.equal((await post(app, signed)).statusCode, 201, '5 s later: a retry')
  await clock.advance(1)
  assertReplayRefused(t, await post(app, signed), 'posts-only', '5.001 s after the first: a replay')
  const next = signFinRequest({ secret: SECRET, body, timestamp: Math.floor(clock.now() / 1000) + 1 })
  t.equal((await post(app, next)).statusCode, 201, 'the same body signed another second is another request')

  const strict = await build(t, { retryGrace: 0 }, clock)
  const again = signFinRequest({ secret: SECRET, body, timestamp: Math.floor(clock.now() / 1000) })
  t.equal((await post(strict, again)).statusCode, 201)
  t.equal((await post(strict, again)).statusCode, 201, 'retryGrace 0: a repeat in the same millisecond still passes')
  await clock.advance(1)
  assertReplayRefused(t, await post(strict, again), 'posts-only', 'retryGrace 0: any later repeat is refused')
})

t.test('refused replays with a valid bearer token do not count against the IP\'s failed authentications', async (t) => {
  const clock = new ManualClock()
  const app = await build(t, {}, clock, { authFailureLimit: { max: 2, timeWindow: 60_000 } })
  const call = signedCaller('posts-only')
  const seconds = Math.floor(clock.now() / 1000)
  t.equal((await call(app, 'createUser', { name: 'Jane', object_id: 'ic_budget' }, seconds)).statusCode, 201)
  await clock.advance(60_001)
  for (let i = 0; i < 10; i++) {
    assertReplayRefused(t, await call(app, 'createUser', { name: 'Jane', object_id: 'ic_budget' }, seconds), 'posts-only', `replay ${i + 1}`)
  }
  const fresh = await call(app, 'createUser', { name: 'Jane', object_id: 'ic_budget' }, seconds + 61)
  t.equal(fresh.statusCode, 201, 'Fin\'s next request from that IP passes')
  const forged = () => post(app, { 'x-fin-request-timestamp': String(seconds + 61), 'x-fin-signature': '0'.repeat(64) })
  t.equal((await forged()).statusCode, 401, 'a forged signature counts: 1 of 2')
  t.equal((await forged()).statusCode, 401, '2 of 2')
  const limited = await forged()
  t.equal(limited.statusCode, 429, 'the budget was intact until then')
  t.match(limited.json(), { error: { type: 'urn:fastify-fin-helpdesk:error:FIN_ERR_AUTH_RATE_LIMITED' } })
})

t.test('a forged signature is not remembered; reads are not remembered; the memory store forgets what left the window', async (t) => {
  const clock = new ManualClock()
  const store = new MemoryReplayStore({ now: () => clock.now() })
  const app = await build(t, { tolerance: 10, retryGrace: 1, replayStore: store }, clock)
  const seconds = Math.floor(clock.now() / 1000)
  t.equal((await post(app, { 'x-fin-request-timestamp': String(seconds), 'x-fin-signature': '0'.repeat(64) })).statusCode, 401)
  t.equal(store.size, 0, 'refused signatures take no room')
  const agents = await app.inject({ url: '/agents', headers: { ...AUTH, ...signFinRequest({ secret: SECRET, timestamp: seconds }) } })
  t.equal(agents.statusCode, 200)
  t.equal(store.size, 0, 'reads take no room')
  for (let i = 0; i < 5; i++) t.equal((await post(app, signFinRequest({ secret: SECRET, body, timestamp: seconds - i }))).statusCode, 201)
  t.equal(store.size, 5)
  await clock.advance(20_000)
  const late = signFinRequest({ secret: SECRET, body, timestamp: seconds + 20 })
  t.equal((await post(app, late)).statusCode, 201)
  t.equal(store.size, 1, 'entries older than twice the tolerance were evicted')
  t.equal((await post(app, signFinRequest({ secret: SECRET, body, timestamp: seconds }))).statusCode, 401, 'an evicted one is stale by then anyway')
})

t.test('a custom store sees each write once per operation; a failing store fails open with an error logged', async (t) => {
  const keys: Array<[string, number]> = []
  const custom: FinReplayStore = { firstSeen: async (key, ttl) => { keys.push([key, ttl]); return undefined } }
  const clock = new ManualClock()
  const app = await build(t, { replayStore: custom, tolerance: 300 }, clock)
  const signed = signFinRequest({ secret: SECRET, body, timestamp: Math.floor(clock.now() / 1000) })
  t.equal((await post(app, signed)).statusCode, 201)
  const digest = Buffer.from(signed['x-fin-signature'], 'hex').toString('base64url')
  t.same(keys, [[`POST /create_user ${signed['x-fin-request-timestamp']}:${digest}`, 600_000]])

  const logs: string[] = []
  const failing = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { logs.push(line) } } } })
  t.teardown(() => failing.close())
  await failing.register(finHelpdesk, { tokens: [API_TOKEN], signature: { secrets: [SECRET], now: () => clock.now(), replayStore: { firstSeen: async () => { throw new Error('store down') } } } })
  t.equal((await failing.inject({ method: 'POST', url: '/create_user', headers: { ...AUTH, 'content-type': 'application/json', ...signed }, payload: body })).statusCode, 201)
  t.ok(logs.some((line) => line.includes('replay store failed') && line.includes('store down')))
})

t.test('bad replay options are refused at register time', async (t) => {
  for (const [signature, message] of [
    [{ replayStore: {} }, /firstSeen/],
    [{ replayStore: { remember: () => true } }, /firstSeen/],
    [{ redis: {} }, /ioredis/],
    [{ redis: { set: async () => 'OK' } }, /ioredis/],
    [{ redis: { set: async () => 'OK', pttl: async () => 1 }, replayStore: new MemoryReplayStore() }, /not both/],
    [{ nameSpace: 'x-' }, /nameSpace/],
    [{ retryGrace: -1 }, /retryGrace must be a number of seconds from 0 to signature.tolerance/],
    [{ retryGrace: 301 }, /retryGrace/],
    [{ retryGrace: Number.NaN }, /retryGrace/]
  ] as const) {
    const app = Fastify()
    app.register(finHelpdesk, { tokens: [API_TOKEN], signature: { secrets: [SECRET], ...signature } as never })
    await t.rejects(Promise.resolve(app.ready()), { code: 'FIN_ERR_OPTIONS', message }, JSON.stringify(signature))
    await app.close()
  }
})
