import { createHmac } from 'node:crypto'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { type FinHelpdeskOptions } from '../../lib/index.js'
import { canonicalQuery, MemoryReplayStore, redisReplayStore, signFinRequest } from '../../lib/auth/signature.js'
import { RAW_BODY, rawBody } from '../../lib/auth/raw-body.js'

const NOW = Date.parse('2026-03-01T12:00:00Z')
const SECONDS = Math.floor(NOW / 1000)
const SECRET = 'signing-secret-one'
const AUTH = { authorization: 'Bearer tok-0123456789abcdef' }

/**
 * The signature of `{timestamp}:{payload}`, through signFinRequest. The payload is given as written (a raw body, or a
 * query in its canonical form spelled out by hand), so these tests also pin the canonical form down.
 */
function sign (secret: string, timestamp: number, payload: string, encoding: 'hex' | 'base64' = 'hex'): string {
  const hex = signFinRequest({ secret, timestamp, body: payload })['x-fin-signature']
  return encoding === 'hex' ? hex : Buffer.from(hex, 'hex').toString('base64')
}

async function build (t: Test, signature: Partial<NonNullable<FinHelpdeskOptions['signature']>> = {}, extra: Partial<FinHelpdeskOptions> = {}) {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: ['tok-0123456789abcdef'], signature: { secrets: [SECRET], now: () => NOW, ...signature }, ...extra })
  await app.ready()
  return app
}

const body = JSON.stringify({ name: 'Jane', object_id: 'ic_1' })
const headers = (signature: string, timestamp = SECONDS) => ({ ...AUTH, 'content-type': 'application/json', 'x-fin-request-timestamp': String(timestamp), 'x-fin-signature': signature })

t.test('valid signatures in hex and base64, over the raw body', async (t) => {
  const app = await build(t)
  // Each request signed at another second: the same signature twice would be a replay.
  for (const [i, encoding] of (['hex', 'base64'] as const).entries()) {
    const res = await app.inject({ method: 'POST', url: '/create_user', headers: headers(sign(SECRET, SECONDS - i, body, encoding), SECONDS - i), payload: body })
    t.equal(res.statusCode, 201, encoding)
  }
  const prefixed = await app.inject({ method: 'POST', url: '/create_user', headers: headers(`sha256=${sign(SECRET, SECONDS - 2, body)}`, SECONDS - 2), payload: body })
  t.equal(prefixed.statusCode, 201, 'a sha256= prefix is fine')
  const spaced = '{ "name" : "Jane" ,  "object_id": "ic_1" }'
  const raw = await app.inject({ method: 'POST', url: '/user', headers: headers(sign(SECRET, SECONDS, spaced)), payload: spaced })
  t.equal(raw.statusCode, 201, 'the raw bytes are signed, whitespace and all')
})

t.test('without a body: the query parameters sorted by name', async (t) => {
  const app = await build(t)
  const created = await app.inject({ method: 'POST', url: '/create_user', headers: headers(sign(SECRET, SECONDS, body)), payload: body })
  const id = created.json().data.id as string
  const get = (query: string, signature: string, timestamp = SECONDS) => app.inject({ url: `/user?${query}`, headers: { ...AUTH, 'x-fin-request-timestamp': String(timestamp), 'x-fin-signature': signature } })
  t.equal((await get(`user_id=${id}`, sign(SECRET, SECONDS, `user_id=${id}`))).statusCode, 200)
  t.equal((await get(`zeta=1&user_id=${id}&alpha=x%20y`, sign(SECRET, SECONDS, `alpha=x%20y&user_id=${id}&zeta=1`))).statusCode, 200, 'sorted, percent-encoded')
  t.equal((await get(`user_id=${id}`, sign(SECRET, SECONDS - 1, `user_id=${id}`, 'base64'), SECONDS - 1)).statusCode, 200, 'base64')
  const agents = await app.inject({ method: 'POST', url: '/get_agents', headers: { ...AUTH, 'x-fin-request-timestamp': String(SECONDS), 'x-fin-signature': sign(SECRET, SECONDS, '') } })
  t.equal(agents.statusCode, 200, 'a POST without a body signs "{timestamp}:"')
})

t.test('stale, future, tampered, missing or malformed: 401', async (t) => {
  const app = await build(t)
  const post = (h: Record<string, string>, payload = body) => app.inject({ method: 'POST', url: '/create_user', headers: h, payload })
  const cases: Array<[string, Promise<{ statusCode: number, json: () => any }>, RegExp]> = [
    ['stale', post(headers(sign(SECRET, SECONDS - 301, body), SECONDS - 301)), /301 s away/],
    ['future', post(headers(sign(SECRET, SECONDS + 301, body), SECONDS + 301)), /301 s away/],
    ['tampered body', post(headers(sign(SECRET, SECONDS, body)), body.replace('Jane', 'Mallory')), /does not match/],
    ['other secret', post(headers(sign('someone-else', SECONDS, body))), /does not match/],
    ['timestamp swapped', post(headers(sign(SECRET, SECONDS, body), SECONDS - 1)), /does not match/],
    ['missing signature', post({ ...AUTH, 'content-type': 'application/json', 'x-fin-request-timestamp': String(SECONDS) }), /missing/],
    ['not a digest', post(headers('not-a-signature')), /hex or base64/],
    ['bad timestamp', post(headers(sign(SECRET, SECONDS, body), Number.NaN)), /seconds since the epoch/]
  ]
  for (const [name, request, detail] of cases) {
    const res = await request
    t.equal(res.statusCode, 401, name)
    t.same(Object.keys(res.json()), ['error'], `${name}: no data member`)
    t.match(res.json(), { error: { type: 'urn:fastify-fin-helpdesk:error:FIN_ERR_INVALID_SIGNATURE', status: 401, detail } }, name)
  }
  const okNearEdge = await post(headers(sign(SECRET, SECONDS - 300, body), SECONDS - 300))
  t.equal(okNearEdge.statusCode, 201, '300 s old is within the default window')
  const query = await app.inject({ url: '/user?user_id=a', headers: { ...AUTH, 'x-fin-request-timestamp': String(SECONDS), 'x-fin-signature': sign(SECRET, SECONDS, 'user_id=b') } })
  t.equal(query.statusCode, 401, 'tampered query')
  t.match(query.json(), { code: 'FIN_ERR_INVALID_SIGNATURE' })
})

t.test('rotation: any configured secret; the window is configurable; the canonical form replaceable', async (t) => {
  const app = await build(t, { secrets: ['new-secret-0123456789abcdef', SECRET], tolerance: 10, canonicalQuery: (request) => new URLSearchParams(request.query as Record<string, string>).toString() })
  t.equal((await app.inject({ method: 'POST', url: '/create_user', headers: headers(sign('new-secret-0123456789abcdef', SECONDS, body)), payload: body })).statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: '/create_user', headers: headers(sign(SECRET, SECONDS, body)), payload: body })).statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: '/create_user', headers: headers(sign(SECRET, SECONDS - 11, body), SECONDS - 11), payload: body })).statusCode, 401)
  const res = await app.inject({ url: '/agents?b=2&a=1', headers: { ...AUTH, 'x-fin-request-timestamp': String(SECONDS), 'x-fin-signature': sign(SECRET, SECONDS, 'b=2&a=1') } })
  t.equal(res.statusCode, 200, 'the custom canonical form (unsorted) is used')
})

t.test('the token endpoint needs no signature; refused signatures count as failed authentications', async (t) => {
  const app = await build(t, {}, { oauth: { clients: [{ id: 'fin', secret: 'fin-secret-0123456789' }] }, authFailureLimit: { max: 2, timeWindow: 60_000 } })
  const token = await app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials', client_id: 'fin', client_secret: 'fin-secret-0123456789' } })
  t.equal(token.statusCode, 200)
  const bad = () => app.inject({ method: 'POST', url: '/create_user', headers: headers('0'.repeat(64)), payload: body })
  t.equal((await bad()).statusCode, 401)
  t.equal((await bad()).statusCode, 401)
  t.equal((await bad()).statusCode, 429, 'blocked after two refused signatures')
})

t.test('raw body capture leaves the host\'s own routes alone', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.post('/host', async (request) => ({ body: request.body, raw: (request as { finRawBody?: unknown }).finRawBody ?? rawBody(request) ?? null }))
  await app.register(finHelpdesk, { prefix: '/fin', tokens: ['tok-0123456789abcdef'], signature: { secrets: [SECRET] } })
  const res = await app.inject({ method: 'POST', url: '/host', payload: { a: 1 } })
  t.same(res.json(), { body: { a: 1 }, raw: null })
  t.notOk(app.hasRequestDecorator('finRawBody'), 'no decorator at the host level')
  t.notOk(app.hasRequestDecorator(RAW_BODY), 'the raw body slot is declared in the Fin context only')
})

t.test('digest spellings: base64url, padded or not, an upper-case SHA256= prefix, surrounding spaces; wrong lengths refused', async (t) => {
  const app = await build(t)
  const post = (signature: string, timestamp: number) => app.inject({ method: 'POST', url: '/create_user', headers: headers(signature, timestamp), payload: body })
  const b64 = (timestamp: number) => sign(SECRET, timestamp, body, 'base64')
  const url = (timestamp: number) => b64(timestamp).replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, '')
  t.equal((await post(url(SECONDS - 10), SECONDS - 10)).statusCode, 201, 'base64url without padding')
  t.equal((await post(b64(SECONDS - 11).replace(/=$/, ''), SECONDS - 11)).statusCode, 201, 'base64 without padding')
  t.equal((await post(`SHA256=${sign(SECRET, SECONDS - 12, body).toUpperCase()}`, SECONDS - 12)).statusCode, 201, 'upper-case prefix and hex')
  t.equal((await post(`  ${sign(SECRET, SECONDS - 13, body)} `, SECONDS - 13)).statusCode, 201, 'spaces around')
  for (const [name, signature] of [
    ['hex one character short', sign(SECRET, SECONDS - 14, body).slice(1)],
    ['base64 of 33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['base64 with a stray character', `${b64(SECONDS - 15).slice(0, 42)}!=`],
    ['an empty prefix', 'sha256=']
  ] as const) {
    const res = await post(signature, SECONDS - 14)
    t.equal(res.statusCode, 401, name)
    t.match(res.json(), { error: { detail: 'X-Fin-Signature must be a hex or base64 HMAC-SHA256' } }, name)
  }
  const digits = await post(sign(SECRET, SECONDS, body), 1_000_000_000_000)
  t.match(digits.json(), { error: { detail: 'X-Fin-Request-Timestamp must be seconds since the epoch' } }, 'thirteen digits')
})

t.test('the canonical query: repeated names sorted by value, empty and boolean values; signFinRequest defaults to now', async (t) => {
  t.equal(canonicalQuery({ b: ['2', '10', '1'], a: true, c: undefined, 'd e': 'x&y', n: 0 }), 'a=true&b=1&b=10&b=2&c=&d%20e=x%26y&n=0')
  t.equal(canonicalQuery({ a: ['x', 'x'] }), 'a=x&a=x', 'equal pairs keep both')
  t.equal(canonicalQuery({}), '')
  const before = Math.floor(Date.now() / 1000)
  const signed = signFinRequest({ secret: SECRET, query: { user_id: 'u 1' } })
  const timestamp = Number(signed['x-fin-request-timestamp'])
  t.ok(timestamp >= before && timestamp <= before + 2, 'now, in seconds')
  t.equal(signed['x-fin-signature'], createHmac('sha256', SECRET).update(`${timestamp}:user_id=u%201`).digest('hex'))
  t.equal(signFinRequest({ secret: SECRET, timestamp: 5 })['x-fin-signature'], createHmac('sha256', SECRET).update('5:').digest('hex'), 'neither body nor query')
})

t.test('the replay stores: memory with the wall clock, Redis under the default prefix', async (t) => {
  const store = new MemoryReplayStore()
  t.equal(store.firstSeen('k', 60_000), undefined)
  const age = store.firstSeen('k', 60_000)
  t.ok(age !== undefined && age >= 0 && age < 1000, `seen before: its age (${age} ms)`)
  t.equal(store.size, 1)
  const calls: unknown[][] = []
  const redis = redisReplayStore({
    set: async (...args) => { calls.push(args); return calls.length === 1 ? 'OK' : null },
    pttl: async (key) => { calls.push([key]); return calls.length === 3 ? 597_000 : -2 }
  })
  t.equal(await redis.firstSeen('1:abc', 600_000), undefined)
  t.equal(await redis.firstSeen('1:abc', 600_000), 3_000, 'the age from the time left')
  t.equal(await redis.firstSeen('1:abc', 600_000), 600_000, 'expired in between: as old as can be')
  t.same(calls.slice(0, 3), [['fin-signature-seen-1:abc', '1', 'PX', 600_000, 'NX'], ['fin-signature-seen-1:abc', '1', 'PX', 600_000, 'NX'], ['fin-signature-seen-1:abc']])
})

t.test('bad signature options are refused at register time', async (t) => {
  for (const [signature, message] of [
    [{ secrets: [] }, /^Invalid fastify-fin-helpdesk options: signature\.secrets must list at least one secret$/],
    [{ secrets: '' }, /^Invalid fastify-fin-helpdesk options: signature\.secrets must have at least 16 characters each$/],
    [{ secrets: 'k' }, /^Invalid fastify-fin-helpdesk options: signature\.secrets must have at least 16 characters each$/],
    [{ secrets: ['ok-0123456789abcdef', '0123456789abcde'] }, /signature\.secrets must have at least 16 characters each/],
    [{ secrets: ['ok-0123456789abcdef', 42] }, /signature\.secrets must have at least 16 characters each/],
    [{ secrets: 'ok-0123456789abcdef', tolerance: 0 }, /tolerance must be a positive number/],
    [{ secrets: 'ok-0123456789abcdef', tolerance: Number.NaN }, /tolerance must be a positive number/],
    [{ secrets: 'ok-0123456789abcdef', replayStore: {} }, /replayStore must have a firstSeen/],
    [{ secrets: 'ok-0123456789abcdef', redis: {} }, /redis must be an ioredis client/],
    [{ secrets: 'ok-0123456789abcdef', redis: { set: async () => 'OK', pttl: async () => 1 }, nameSpace: 42 }, /nameSpace must be a string/]
  ] as const) {
    const app = Fastify()
    app.register(finHelpdesk, { tokens: ['tok-0123456789abcdef'], signature: signature as never })
    await t.rejects(Promise.resolve(app.ready()), { code: 'FIN_ERR_OPTIONS', message }, JSON.stringify(signature))
    await app.close()
  }
})

t.test('a single secret as a string; Redis as the replay store through the plugin', async (t) => {
  const seen = new Set<string>()
  const redis = {
    set: async (key: string) => { if (seen.has(key)) return null; seen.add(key); return 'OK' },
    pttl: async () => 1000 // first seen long ago
  }
  const app = await build(t, { secrets: SECRET, redis, nameSpace: 'mine-' })
  const signature = sign(SECRET, SECONDS, body)
  t.equal((await app.inject({ method: 'POST', url: '/create_user', headers: headers(signature), payload: body })).statusCode, 201)
  const replay = await app.inject({ method: 'POST', url: '/create_user', headers: headers(signature), payload: body })
  t.equal(replay.statusCode, 401)
  t.same(Object.keys(replay.json()), ['error'])
  t.match(replay.json(), { error: { detail: 'this signature was already used more than 60 s ago (a replayed write)' } })
  t.match([...seen], [/^mine-POST \/create_user \d+:[\w-]{43}$/])
})
