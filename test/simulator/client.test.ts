import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { FinClient } from '../../lib/simulator/index.js'

// FinClient's requests as they arrive: headers, body, query, signature; and how it reads answers and tokens.

interface Seen { method: string, url: string, headers: IncomingHttpHeaders, body: string }
type Reply = { status: number, type?: string, body: string } | 'hang'

async function server (t: Test, answer: (request: Seen) => Reply = () => ({ status: 200, body: '[]' })): Promise<{ url: string, seen: Seen[] }> {
  const seen: Seen[] = []
  const http = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString() })
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body }
      seen.push(request)
      const reply = answer(request)
      if (reply === 'hang') return
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/json' }).end(reply.body)
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { http.closeAllConnections(); http.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, seen }
}

const hmac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('hex')

t.test('a token or OAuth credentials are required', async (t) => {
  t.throws(() => new FinClient({ baseUrl: 'http://x' }), new TypeError('FinClient needs a token or oauth credentials'))
  const client = new FinClient({ baseUrl: 'http://x/api/', token: 't' })
  t.equal(client.signs, false)
  t.equal(client.usesOAuth, false)
  t.equal(client.variant, 'standard')
  t.same(client.url('getUser'), { method: 'GET', url: 'http://x/api/user' }, 'the trailing slash of the base is dropped')
  t.same(new FinClient({ baseUrl: 'http://x', token: 't', variant: 'posts-only', paths: { getUser: '/people/get' } }).url('getUser'), { method: 'POST', url: 'http://x/people/get' })
  t.same(new FinClient({ baseUrl: 'http://x', token: 't', paths: { getUser: '/people' } }).url('getUser'), { method: 'GET', url: 'http://x/people' }, 'renamed paths keep the standard method')
})

t.test('deviations for checks: another token, no token, a whole Authorization header, a raw body and content type', async (t) => {
  const { url, seen } = await server(t)
  const client = new FinClient({ baseUrl: url, token: 'held' })
  await client.call('getUser', { user_id: 'u 1', skipped: undefined, n: 2 })
  t.equal(seen[0]!.url, '/user?user_id=u+1&n=2', 'undefined inputs are left out; the rest as strings')
  t.equal(seen[0]!.headers.authorization, 'Bearer held')
  await client.call('getAgents', {}, { token: 'other' })
  t.equal(seen[1]!.headers.authorization, 'Bearer other')
  await client.call('getAgents', {}, { token: null })
  t.equal(seen[2]!.headers.authorization, undefined, 'token null: no header')
  await client.call('getAgents', {}, { authorization: 'Basic abc' })
  t.equal(seen[3]!.headers.authorization, 'Basic abc')
  await client.call('createUser', { name: 'x' }, { rawBody: 'name=x', contentType: 'application/x-www-form-urlencoded' })
  t.match(seen[4], { method: 'POST', url: '/user', body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  client.useToken('replaced')
  t.equal(await client.token(), 'replaced')
})

t.test('answers: JSON, text that is not JSON, an empty body; posts-only reads data, and null stays null', async (t) => {
  const answers: Reply[] = [{ status: 200, body: '{"data":[1]}' }, { status: 502, type: 'text/html', body: '<h1>Bad gateway</h1>' }, { status: 204, body: '' }, { status: 200, body: 'null' }]
  const { url } = await server(t, () => answers.shift()!)
  const client = new FinClient({ baseUrl: url, token: 't', variant: 'posts-only' })
  // The headers come along (a 429's Retry-After tells a refusal from a failure).
  const call = async () => { const { headers, ...answer } = await client.call('getAgents'); return { ...answer, type: headers.get('content-type') } }
  t.same(await call(), { status: 200, body: { data: [1] }, data: [1], text: '{"data":[1]}', type: 'application/json' })
  t.same(await call(), { status: 502, body: undefined, data: undefined, text: '<h1>Bad gateway</h1>', type: 'text/html' })
  t.same(await call(), { status: 204, body: undefined, data: undefined, text: '', type: 'application/json' })
  t.same(await call(), { status: 200, body: null, data: null, text: 'null', type: 'application/json' })
})

t.test('signing as Fin: the body or the query, the same request in one second signed alike, a given timestamp, no signature, tampering after signing', async (t) => {
  const { url, seen } = await server(t)
  const client = new FinClient({ baseUrl: url, token: 't', signingSecret: 'sek-0123456789abcdef', now: () => 1_700_000_000 })
  t.equal(client.signs, true)
  await client.call('createUser', { name: 'a' })
  await client.call('createUser', { name: 'a' })
  t.same(seen.map((s) => s.headers['x-fin-request-timestamp']), ['1700000000', '1700000000'], 'no backdating: Fin has no nonce')
  t.equal(seen[0]!.headers['x-fin-signature'], hmac('sek-0123456789abcdef', '1700000000:{"name":"a"}'))
  t.equal(seen[1]!.headers['x-fin-signature'], seen[0]!.headers['x-fin-signature'], 'the same signature twice')
  await client.call('getUser', { user_id: 'b', a: 'c' }, { sign: { timestamp: 42 } })
  t.equal(seen[2]!.headers['x-fin-signature'], hmac('sek-0123456789abcdef', '42:a=c&user_id=b'), 'the sorted query is signed')
  await client.call('getAgents', {}, { sign: false })
  t.equal(seen[3]!.headers['x-fin-signature'], undefined)
  await client.call('createUser', { name: 'a' }, { sign: { timestamp: 7, tamper: ({ body }) => ({ body: body!.replace('"a"', '"b"') }) } })
  t.match(seen[4], { body: '{"name":"b"}', headers: { 'x-fin-signature': hmac('sek-0123456789abcdef', '7:{"name":"a"}') } })
  await client.call('getUser', { user_id: 'b' }, { sign: { timestamp: 8, tamper: () => ({ query: { user_id: 'c' } }) } })
  t.equal(seen[5]!.url, '/user?user_id=c')
  const wallClock = new FinClient({ baseUrl: url, token: 't', signingSecret: 'sek-0123456789abcdef' })
  const before = Math.floor(Date.now() / 1000)
  await wallClock.call('getAgents')
  t.ok(Math.abs(Number(seen[6]!.headers['x-fin-request-timestamp']) - before) <= 2, 'without now: the wall clock, in seconds')
})

t.test('OAuth: the token endpoint\'s refusals and malformed answers are errors; a 403 refreshes once', async (t) => {
  let tokens = 0
  const answers: { token: Reply[], api: Reply[] } = {
    token: [{ status: 200, body: '{"access_token":"t1"}' }, { status: 200, body: '{"access_token":"t2"}' }, { status: 200, type: 'text/plain', body: 'not json' }, { status: 400, body: '{"error":"invalid_client"}' }],
    api: [{ status: 403, body: '{}' }, { status: 200, body: '[]' }, { status: 403, body: '{}' }]
  }
  const { url, seen } = await server(t, (request) => {
    if (request.url === '/oauth/token') { tokens++; return answers.token.shift()! }
    return answers.api.shift() ?? { status: 500, body: '' }
  })
  const client = new FinClient({ baseUrl: url, oauth: { tokenUrl: `${url}/oauth/token`, clientId: 'fin:1', clientSecret: 's p' } })
  t.equal(client.usesOAuth, true)
  t.equal((await client.call('getAgents')).status, 200, '403, new token, retry')
  t.equal(tokens, 2)
  t.equal(client.tokensFetched, 2)
  t.same(seen.filter((s) => s.url !== '/oauth/token').map((s) => s.headers.authorization), ['Bearer t1', 'Bearer t2'])
  t.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('fin%3A1:s%20p').toString('base64')}`, 'id and secret encoded before base64')
  t.equal(seen[0]!.body, 'grant_type=client_credentials')
  await t.rejects(client.call('getAgents'), new Error('token endpoint answered 200'), 'a 403, then a token endpoint answering no JSON')
  await t.rejects(client.call('getAgents'), { message: 'token endpoint answered 400' }, 'no token held: fetched first, refused')
  client.useToken('t3')
  t.equal((await client.call('getAgents')).status, 500, 'a 500 is no reason to refresh')
  t.equal(tokens, 4)
})

t.test('the timeout: a helpdesk that never answers aborts the call', async (t) => {
  const { url } = await server(t, () => 'hang')
  const client = new FinClient({ baseUrl: url, token: 't', timeout: 200 })
  const started = Date.now()
  await t.rejects(client.call('getAgents'), { name: 'TimeoutError' })
  t.ok(Date.now() - started < 5000)
})
