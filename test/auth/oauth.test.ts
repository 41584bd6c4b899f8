import { createHmac } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { type FinHelpdeskOptions } from '../../lib/index.js'
import { ManualClock } from '../fixtures/clock.js'

const FIN_CLIENT = { id: 'fin', secret: 'fin-secret-0123456789abcdef' }
const NEW_CLIENT = { id: 'fin-2026', secret: 'rotated-secret-0123456789' }

async function build (t: Test, options: Partial<FinHelpdeskOptions> = {}, clock = new ManualClock()) {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { prefix: '/api/fin', oauth: { clients: [FIN_CLIENT], now: () => clock.now() }, ...options })
  await app.ready()
  return app
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

t.test('a client-credentials exchange, then an authenticated call', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/api/fin/oauth/token', headers: { ...FORM, authorization: basic(FIN_CLIENT.id, FIN_CLIENT.secret) }, payload: form({ grant_type: 'client_credentials' }) })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers.pragma, 'no-cache')
  const body = res.json()
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type'])
  t.match(body, { token_type: 'Bearer', expires_in: 3600, access_token: /^[\w-]+\.[\w-]+\.[\w-]+$/ })
  const call = await app.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${body.access_token}` } })
  t.equal(call.statusCode, 200)
  t.same(call.json(), [])
  const posts = await app.inject({ method: 'POST', url: '/api/fin/get_agents', headers: { authorization: `Bearer ${body.access_token}` } })
  t.same(posts.json(), { data: [] })
})

t.test('credentials in the form body and in JSON', async (t) => {
  const app = await build(t)
  const viaForm = await app.inject({ method: 'POST', url: '/api/fin/oauth/token', headers: FORM, payload: form({ grant_type: 'client_credentials', client_id: FIN_CLIENT.id, client_secret: FIN_CLIENT.secret }) })
  t.equal(viaForm.statusCode, 200)
  const viaJson = await app.inject({ method: 'POST', url: '/api/fin/oauth/token', payload: { grant_type: 'client_credentials', client_id: FIN_CLIENT.id, client_secret: FIN_CLIENT.secret } })
  t.equal(viaJson.statusCode, 200)
  t.equal((await app.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${viaJson.json().access_token}` } })).statusCode, 200)
})

t.test('errors follow RFC 6749 section 5.2, never a 500', async (t) => {
  const app = await build(t)
  const token = (headers: Record<string, string>, payload: string) => app.inject({ method: 'POST', url: '/api/fin/oauth/token', headers, payload })
  const cases: Array<[string, Record<string, string>, string, number, string, string | undefined]> = [
    ['wrong secret (Basic)', { ...FORM, authorization: basic(FIN_CLIENT.id, 'wrong-secret-000000') }, form({ grant_type: 'client_credentials' }), 401, 'invalid_client', 'Basic realm="fin", error="invalid_client"'],
    ['unknown client (body)', FORM, form({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: FIN_CLIENT.secret }), 401, 'invalid_client', 'Basic realm="fin"'],
    ['no credentials', FORM, form({ grant_type: 'client_credentials' }), 401, 'invalid_client', 'Basic realm="fin"'],
    ['malformed Basic', { ...FORM, authorization: 'Basic !!!' }, form({ grant_type: 'client_credentials' }), 401, 'invalid_client', 'Basic realm="fin", error="invalid_client"'],
    ['wrong grant type', { ...FORM, authorization: basic(FIN_CLIENT.id, FIN_CLIENT.secret) }, form({ grant_type: 'password' }), 400, 'unsupported_grant_type', undefined],
    ['missing grant type', { ...FORM, authorization: basic(FIN_CLIENT.id, FIN_CLIENT.secret) }, form({}), 400, 'invalid_request', undefined],
    ['two ways to authenticate', { ...FORM, authorization: basic(FIN_CLIENT.id, FIN_CLIENT.secret) }, form({ grant_type: 'client_credentials', client_id: FIN_CLIENT.id, client_secret: FIN_CLIENT.secret }), 400, 'invalid_request', undefined],
    ['a parameter twice', FORM, 'grant_type=client_credentials&grant_type=client_credentials&client_id=fin&client_secret=x', 400, 'invalid_request', undefined],
    ['malformed JSON', { 'content-type': 'application/json' }, '{"grant_type":', 400, 'invalid_request', undefined],
    ['a number for a string', { 'content-type': 'application/json' }, '{"grant_type":"client_credentials","client_id":1,"client_secret":2}', 400, 'invalid_request', undefined],
    ['wrong content type', { 'content-type': 'text/plain' }, 'grant_type=client_credentials', 400, 'invalid_request', undefined]
  ]
  for (const [name, headers, payload, status, error, challenge] of cases) {
    const res = await token(headers, payload)
    t.equal(res.statusCode, status, `${name}: ${res.body}`)
    t.match(res.json(), { error, error_description: String }, name)
    t.equal(res.headers['www-authenticate'], challenge, `${name}: challenge`)
    t.equal(res.headers['cache-control'], 'no-store', `${name}: no-store`)
  }
})

t.test('expired, tampered and wrong-audience tokens are 401, which makes Fin refresh', async (t) => {
  const clock = new ManualClock()
  const app = await build(t, { oauth: { clients: [FIN_CLIENT], tokenTtl: 60, now: () => clock.now() } }, clock)
  const issue = async () => (await app.inject({ method: 'POST', url: '/api/fin/oauth/token', payload: { grant_type: 'client_credentials', client_id: FIN_CLIENT.id, client_secret: FIN_CLIENT.secret } })).json().access_token as string
  const call = (token: string) => app.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${token}` } })
  const token = await issue()
  t.equal((await call(token)).statusCode, 200)
  await clock.advance(59_000)
  t.equal((await call(token)).statusCode, 200, 'valid for its lifetime')
  await clock.advance(1000)
  const expired = await call(token)
  t.equal(expired.statusCode, 401, 'expired')
  t.equal(expired.headers['www-authenticate'], 'Bearer error="invalid_token"')

  const fresh = await issue()
  const [header, payload, signature] = fresh.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 })).toString('base64url')
  t.equal((await call(`${header}.${forged}.${signature}`)).statusCode, 401, 'tampered payload')
  t.equal((await call(`${header}.${payload}.${signature.slice(0, -2)}AA`)).statusCode, 401, 'tampered signature')
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'fin' })).toString('base64url')
  t.equal((await call(`${none}.${payload}.`)).statusCode, 401, 'alg none')

  // Another integration of the same app, with the same client, issues tokens for its own audience.
  const other = Fastify()
  t.teardown(() => other.close())
  await other.register(finHelpdesk, { name: 'brand-b', oauth: { clients: [FIN_CLIENT], now: () => clock.now() } })
  const foreign = (await other.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials', client_id: FIN_CLIENT.id, client_secret: FIN_CLIENT.secret } })).json().access_token
  t.equal((await call(foreign)).statusCode, 401, 'wrong audience')
  t.equal((await other.inject({ url: '/agents', headers: { authorization: `Bearer ${foreign}` } })).statusCode, 200, 'valid where it belongs')
})

t.test('a Fin-style retry: 401, fetch a new token, retry once, success', async (t) => {
  const clock = new ManualClock()
  const app = await build(t, { oauth: { clients: [FIN_CLIENT], tokenTtl: 60, now: () => clock.now() } }, clock)
  const fetchToken = async () => (await app.inject({ method: 'POST', url: '/api/fin/oauth/token', headers: { ...FORM, authorization: basic(FIN_CLIENT.id, FIN_CLIENT.secret) }, payload: form({ grant_type: 'client_credentials' }) })).json().access_token as string
  let token = await fetchToken()
  await clock.advance(120_000)
  const calls: number[] = []
  const finCall = async (): Promise<number> => {
    let res = await app.inject({ method: 'POST', url: '/api/fin/get_agents', headers: { authorization: `Bearer ${token}` } })
    calls.push(res.statusCode)
    if (res.statusCode === 401 || res.statusCode === 403) {
      token = await fetchToken()
      res = await app.inject({ method: 'POST', url: '/api/fin/get_agents', headers: { authorization: `Bearer ${token}` } })
      calls.push(res.statusCode)
    }
    return res.statusCode
  }
  t.equal(await finCall(), 200)
  t.same(calls, [401, 200])
})

t.test('rotation: several clients at once; a removed client\'s tokens stop working', async (t) => {
  const clock = new ManualClock()
  const signingSecret = 'server-signing-secret-0123456789abcdef'
  const both = await build(t, { oauth: { clients: [FIN_CLIENT, NEW_CLIENT], signingSecret, now: () => clock.now() } }, clock)
  const issue = async (app: typeof both, client: typeof FIN_CLIENT) => (await app.inject({ method: 'POST', url: '/api/fin/oauth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret } })).json().access_token as string
  const oldToken = await issue(both, FIN_CLIENT)
  const newToken = await issue(both, NEW_CLIENT)
  for (const token of [oldToken, newToken]) t.equal((await both.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)

  // Another instance (no shared state) configured with the same clients and signing secret accepts both; with only
  // the new one, only its tokens; without the signing secret (a random one of its own), none.
  const sameConfig = await build(t, { oauth: { clients: [FIN_CLIENT, NEW_CLIENT], signingSecret, now: () => clock.now() } }, clock)
  t.equal((await sameConfig.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${oldToken}` } })).statusCode, 200, 'verified by another instance')
  const ownSecret = await build(t, { oauth: { clients: [FIN_CLIENT, NEW_CLIENT], now: () => clock.now() } }, clock)
  t.equal((await ownSecret.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${oldToken}` } })).statusCode, 401, 'another signing secret: refused')
  const rotated = await build(t, { oauth: { clients: [NEW_CLIENT], signingSecret, now: () => clock.now() } }, clock)
  t.equal((await rotated.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${oldToken}` } })).statusCode, 401, 'old client removed: its tokens are refused')
  t.equal((await rotated.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${newToken}` } })).statusCode, 200)
  t.equal((await rotated.inject({ method: 'POST', url: '/api/fin/oauth/token', payload: { grant_type: 'client_credentials', client_id: FIN_CLIENT.id, client_secret: FIN_CLIENT.secret } })).statusCode, 401)
})

t.test('alongside static tokens and a custom verifier; bad options refused', async (t) => {
  const app = await build(t, { tokens: ['static-token-0123456789abcdef'], verifyToken: (token) => token === 'custom', oauth: { clients: [FIN_CLIENT] } })
  for (const token of ['static-token-0123456789abcdef', 'custom']) t.equal((await app.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${token}` } })).statusCode, 200, token)
  for (const [options, message] of [
    [{ clients: [] }, /at least one/],
    [{ clients: [{ id: 'a', secret: 'short' }] }, /16 characters/],
    [{ clients: [FIN_CLIENT, FIN_CLIENT] }, /twice/],
    [{ clients: [{ id: 'a:b', secret: FIN_CLIENT.secret }] }, /without ":"/],
    [{ clients: [FIN_CLIENT], path: '/get_user' }, /also the path of a Fin operation/],
    [{ clients: [FIN_CLIENT], signingSecret: 'too-short' }, /signingSecret/]
  ] as const) {
    const bad = Fastify()
    bad.register(finHelpdesk, { oauth: options as never })
    await t.rejects(Promise.resolve(bad.ready()), { code: 'FIN_ERR_OPTIONS', message })
    await bad.close()
  }
})

t.test('the token endpoint is rate limited, and wrong secrets count as failed authentications', async (t) => {
  const app = await build(t, { oauth: { clients: [FIN_CLIENT] }, authFailureLimit: { max: 2, timeWindow: 60_000 } })
  const wrong = () => app.inject({ method: 'POST', url: '/api/fin/oauth/token', payload: { grant_type: 'client_credentials', client_id: 'fin', client_secret: 'wrong-wrong-wrong-wrong' } })
  t.equal((await wrong()).statusCode, 401)
  t.equal((await wrong()).statusCode, 401)
  const blocked = await wrong()
  t.equal(blocked.statusCode, 429)
  t.match(blocked.json(), { error: 'temporarily_unavailable' })
  t.ok(Number(blocked.headers['retry-after']) > 0)
  const limited = await build(t, { oauth: { clients: [FIN_CLIENT] }, rateLimit: { max: 1 } })
  const ask = () => limited.inject({ method: 'POST', url: '/api/fin/oauth/token', payload: { grant_type: 'client_credentials', client_id: 'fin', client_secret: FIN_CLIENT.secret } })
  t.equal((await ask()).statusCode, 200)
  t.equal((await ask()).statusCode, 429)
})

t.test('only tokens the endpoint issued are accepted: lifetime, iat, sub, server-side signing secret', async (t) => {
  const clock = new ManualClock()
  const signingSecret = 'server-signing-secret-0123456789abcdef'
  const app = await build(t, { oauth: { clients: [FIN_CLIENT, NEW_CLIENT], tokenTtl: 600, signingSecret, now: () => clock.now() } }, clock)
  const call = (token: string) => app.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${token}` } })
  const iat = Math.floor(clock.now() / 1000)
  const claims = { aud: 'fastify-fin-helpdesk:default', iss: 'fastify-fin-helpdesk', sub: 'fin', iat, exp: iat + 600 }
  // The key the plugin derives: the client's secret, then the server's signing secret.
  const keyOf = (client: typeof FIN_CLIENT, server: string | null) => {
    const clientKey = createHmac('sha256', client.secret).update('fastify-fin-helpdesk:oauth-signing-key:default').digest()
    return server === null ? clientKey : createHmac('sha256', server).update(clientKey).digest()
  }
  const mint = (payload: Record<string, unknown>, client = FIN_CLIENT, server: string | null = signingSecret, kid = client.id) =>
    createSigner({ key: keyOf(client, server), algorithm: 'HS256', kid, noTimestamp: payload.iat === undefined })(payload)

  t.equal((await call(mint(claims))).statusCode, 200, 'a token exactly as the endpoint makes it')
  t.equal((await call(mint(claims, FIN_CLIENT, null))).statusCode, 401, 'minted offline with the client secret alone')
  t.equal((await call(mint({ ...claims, exp: iat + 100 * 365 * 86_400 }))).statusCode, 401, 'exp 100 years out')
  t.equal((await call(mint({ ...claims, exp: iat + 601 }))).statusCode, 401, 'exp - iat one second beyond the TTL')
  t.equal((await call(mint({ ...claims, iat: iat + 61, exp: iat + 61 + 600 }))).statusCode, 401, 'iat beyond the 60 s skew')
  t.equal((await call(mint({ ...claims, iat: iat + 60, exp: iat + 60 + 600 }))).statusCode, 200, 'iat within the skew')
  t.equal((await call(mint({ ...claims, iat: undefined }))).statusCode, 401, 'no iat')
  t.equal((await call(mint({ ...claims, sub: 'fin-2026' }))).statusCode, 401, 'a sub that is not the key\'s client')
  t.equal((await call(mint({ ...claims, sub: 'fin-2026' }, FIN_CLIENT, signingSecret, 'fin-2026'))).statusCode, 401, 'a kid naming another client than the key')
})

t.test('the rate limit is per OAuth client: a fresh token does not reset it', async (t) => {
  const app = await build(t, { oauth: { clients: [FIN_CLIENT, NEW_CLIENT] }, rateLimit: { max: 4, timeWindow: 60_000 } })
  const issue = async (client: typeof FIN_CLIENT) => (await app.inject({ method: 'POST', url: '/api/fin/oauth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret } })).json().access_token as string
  const call = (token: string) => app.inject({ url: '/api/fin/agents', headers: { authorization: `Bearer ${token}` } })
  const first = await issue(FIN_CLIENT)
  t.equal((await call(first)).statusCode, 200)
  t.equal((await call(first)).statusCode, 200)
  const fresh = await issue(FIN_CLIENT)
  t.ok(fresh !== first, 'a new token')
  const limited = await call(fresh)
  t.equal(limited.statusCode, 429, 'the fifth request of the client, whatever its token')
  t.match(limited.json(), { code: 'FIN_ERR_RATE_LIMITED' })
  t.equal((await call(await issue(NEW_CLIENT))).statusCode, 200, 'another client has its own budget')
})

t.test('more bad options: the token path, the lifetime, verifyToken, the limits\' windows', async (t) => {
  for (const [options, message] of [
    [{ oauth: { clients: [FIN_CLIENT], path: 'oauth/token' } }, /oauth\.path must start with "\/"/],
    [{ oauth: { clients: [FIN_CLIENT], path: '/oauth token' } }, /oauth\.path must start with "\/"/],
    [{ oauth: { clients: [FIN_CLIENT], tokenTtl: 0 } }, /oauth\.tokenTtl must be a positive number of seconds/],
    [{ oauth: { clients: [FIN_CLIENT], tokenTtl: 1.5 } }, /oauth\.tokenTtl must be a positive number of seconds/],
    [{ tokens: ['tok-0123456789abcdef'], verifyToken: 'yes' }, /verifyToken must be a function/],
    [{ tokens: ['tok-0123456789abcdef'], rateLimit: { timeWindow: 0 } }, /rateLimit\.timeWindow must be positive/],
    [{ tokens: ['tok-0123456789abcdef'], authFailureLimit: { timeWindow: -1 } }, /authFailureLimit\.timeWindow must be positive/]
  ] as const) {
    const bad = Fastify()
    bad.register(finHelpdesk, options as never)
    await t.rejects(Promise.resolve(bad.ready()), { code: 'FIN_ERR_OPTIONS', message }, JSON.stringify(options))
    await bad.close()
  }
})

t.test('tokens the endpoint did not make: no kid, a kid of no client, "Bearer" with nothing after it', async (t) => {
  const app = await build(t)
  const call = (authorization: string) => app.inject({ url: '/api/fin/agents', headers: { authorization } })
  const key = createHmac('sha256', FIN_CLIENT.secret).update('fastify-fin-helpdesk:oauth-signing-key:default').digest()
  const iat = Math.floor(Date.now() / 1000)
  const claims = { aud: 'fastify-fin-helpdesk:default', iss: 'fastify-fin-helpdesk', sub: 'fin', iat, exp: iat + 600 }
  t.equal((await call(`Bearer ${createSigner({ key, algorithm: 'HS256' })(claims)}`)).statusCode, 401, 'no kid')
  t.equal((await call(`Bearer ${createSigner({ key, algorithm: 'HS256', kid: 'nobody' })(claims)}`)).statusCode, 401, 'an unknown kid')
  t.equal((await call('Bearer         ')).statusCode, 401, 'an empty token')
})
