import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { MemoryReplayStore, signFinRequest, type FinHelpdeskPluginOptions, type FinReplayStore } from '../../lib/index.js'
import { ManualClock } from '../fixtures/clock.js'

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

t.test('a signed request is accepted once; its replay is 401', async (t) => {
  const clock = new ManualClock()
  const app = await build(t, {}, clock)
  const seconds = Math.floor(clock.now() / 1000)
  const signed = signFinRequest({ secret: SECRET, body, timestamp: seconds })
  t.equal((await post(app, signed)).statusCode, 201)
  const replay = await post(app, signed)
  t.equal(replay.statusCode, 401)
  t.match(replay.json(), { data: null, error: { type: 'urn:fastify-fin-helpdesk:error:FIN_ERR_INVALID_SIGNATURE', detail: /already used/ } })
  t.equal((await post(app, signed, '/create_user')).statusCode, 401, 'still refused later in the window')

  const base64 = Buffer.from(signed['x-fin-signature'], 'hex').toString('base64')
  t.equal((await post(app, { ...signed, 'x-fin-signature': base64 })).statusCode, 401, 'the same signature in base64 is the same signature')
  const standard = await app.inject({ method: 'POST', url: '/user', headers: { ...AUTH, 'content-type': 'application/json', ...signed }, payload: body })
  t.equal(standard.statusCode, 401, 'replayed to another path (Fin signs no path): refused too')

  const next = signFinRequest({ secret: SECRET, body, timestamp: seconds + 1 })
  t.equal((await post(app, next)).statusCode, 201, 'the same body signed a second later is a new request (a create retry)')

  const get = (signed: Record<string, string>) => app.inject({ url: '/agents', headers: { ...AUTH, ...signed } })
  const read = signFinRequest({ secret: SECRET, timestamp: seconds })
  t.equal((await get(read)).statusCode, 200)
  t.equal((await get(read)).statusCode, 401, 'reads are protected too')
})

t.test('a forged signature is not remembered; the memory store forgets what left the window', async (t) => {
  const clock = new ManualClock()
  const store = new MemoryReplayStore({ now: () => clock.now() })
  const app = await build(t, { tolerance: 10, replayStore: store }, clock)
  const seconds = Math.floor(clock.now() / 1000)
  t.equal((await post(app, { 'x-fin-request-timestamp': String(seconds), 'x-fin-signature': '0'.repeat(64) })).statusCode, 401)
  t.equal(store.size, 0, 'refused signatures take no room')
  for (let i = 0; i < 5; i++) t.equal((await post(app, signFinRequest({ secret: SECRET, body, timestamp: seconds - i }))).statusCode, 201)
  t.equal(store.size, 5)
  await clock.advance(20_000)
  const late = signFinRequest({ secret: SECRET, body, timestamp: seconds + 20 })
  t.equal((await post(app, late)).statusCode, 201)
  t.equal(store.size, 1, 'entries older than twice the tolerance were evicted')
  t.equal((await post(app, signFinRequest({ secret: SECRET, body, timestamp: seconds }))).statusCode, 401, 'an evicted one is stale by then anyway')
})

t.test('a custom store; a failing store fails open with an error logged', async (t) => {
  const keys: Array<[string, number]> = []
  const custom: FinReplayStore = { remember: async (key, ttl) => { keys.push([key, ttl]); return true } }
  const clock = new ManualClock()
  const app = await build(t, { replayStore: custom, tolerance: 300 }, clock)
  const signed = signFinRequest({ secret: SECRET, body, timestamp: Math.floor(clock.now() / 1000) })
  t.equal((await post(app, signed)).statusCode, 201)
  t.same(keys, [[`${signed['x-fin-request-timestamp']}:${Buffer.from(signed['x-fin-signature'], 'hex').toString('base64url')}`, 600_000]])

  const logs: string[] = []
  const failing = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { logs.push(line) } } } })
  t.teardown(() => failing.close())
  await failing.register(finHelpdesk, { tokens: ['tok'], signature: { secrets: [SECRET], now: () => clock.now(), replayStore: { remember: async () => { throw new Error('store down') } } } })
  t.equal((await failing.inject({ method: 'POST', url: '/create_user', headers: { ...AUTH, 'content-type': 'application/json', ...signed }, payload: body })).statusCode, 201)
  t.ok(logs.some((line) => line.includes('replay store failed') && line.includes('store down')))
})

t.test('bad replay options are refused at register time', async (t) => {
  for (const [signature, message] of [
    [{ replayStore: {} }, /remember/],
    [{ redis: {} }, /ioredis/],
    [{ redis: { set: async () => 'OK' }, replayStore: new MemoryReplayStore() }, /not both/],
    [{ nameSpace: 'x-' }, /nameSpace/]
  ] as const) {
    const app = Fastify()
    app.register(finHelpdesk, { tokens: ['tok'], signature: { secrets: [SECRET], ...signature } as never })
    await t.rejects(Promise.resolve(app.ready()), { code: 'FIN_ERR_OPTIONS', message })
    await app.close()
  }
})
