import Fastify from 'fastify'
import t from 'tap'
import finHelpdesk from '../../lib/index.js'
import { buildApp, TOKEN } from '../fixtures/app.js'

const routes: Array<[string, 'GET' | 'POST', string]> = [
  ['standard', 'GET', '/fin/agents'],
  ['posts-only', 'POST', '/fin/get_agents']
]

for (const [variant, method, url] of routes) {
  t.test(`${variant}: requests without a valid bearer token are 401 with WWW-Authenticate`, async (t) => {
    const { app } = await buildApp(t)
    const cases: Array<[string, Record<string, string>, string]> = [
      ['no header', {}, 'Bearer'],
      ['wrong token', { authorization: 'Bearer wrong-token' }, 'Bearer error="invalid_token"'],
      ['other scheme', { authorization: `Basic ${TOKEN}` }, 'Bearer error="invalid_token"'],
      ['empty bearer', { authorization: 'Bearer ' }, 'Bearer error="invalid_token"'],
      ['token with a suffix', { authorization: `Bearer ${TOKEN}x` }, 'Bearer error="invalid_token"']
    ]
    for (const [name, headers, challenge] of cases) {
      const res = await app.inject({ method, url, headers })
      t.equal(res.statusCode, 401, name)
      t.equal(res.headers['www-authenticate'], challenge, `${name}: challenge`)
      const body = res.json()
      if (variant === 'standard') t.match(body, { statusCode: 401, code: 'FIN_ERR_UNAUTHORIZED' }, name)
      else {
        t.same(Object.keys(body), ['error'], `${name}: no data member`)
        t.match(body, { error: { status: 401, type: 'urn:fastify-fin-helpdesk:error:FIN_ERR_UNAUTHORIZED' } }, name)
      }
    }
    const ok = await app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` } })
    t.equal(ok.statusCode, 200)
  })
}

t.test('several tokens are accepted at once, for rotation', async (t) => {
  const { app } = await buildApp(t, { tokens: ['old-token-0123456789abcdef', 'new-token-0123456789abcdef'] })
  for (const token of ['old-token-0123456789abcdef', 'new-token-0123456789abcdef']) {
    t.equal((await app.inject({ url: '/fin/agents', headers: { authorization: `Bearer ${token}` } })).statusCode, 200, token)
  }
  t.equal((await app.inject({ url: '/fin/agents', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 401, 'tokens replaces the default list')
})

t.test('a custom async verifier, alone or with static tokens', async (t) => {
  const seen: string[] = []
  const verifyToken = async (token: string) => { seen.push(token); return token.startsWith('db-') }
  const { app } = await buildApp(t, { tokens: ['static-0123456789abcdef'], verifyToken })
  t.equal((await app.inject({ url: '/fin/agents', headers: { authorization: 'Bearer static-0123456789abcdef' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/fin/agents', headers: { authorization: 'Bearer db-123' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/fin/agents', headers: { authorization: 'Bearer nope' } })).statusCode, 401)
  t.same(seen, ['db-123', 'nope'], 'the verifier only sees what the static tokens refused')

  const only = Fastify()
  t.teardown(() => only.close())
  await only.register(finHelpdesk, { verifyToken: (token) => token === 'sync-ok' })
  t.equal((await only.inject({ url: '/agents', headers: { authorization: 'Bearer sync-ok' } })).statusCode, 200)
  t.equal((await only.inject({ url: '/agents', headers: { authorization: 'Bearer other' } })).statusCode, 401)
})

t.test('a verifier that throws is logged and answered 401, never 500', async (t) => {
  const logs: string[] = []
  const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { logs.push(line) } } } })
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { verifyToken: async () => { throw new Error('token db down') } })
  const res = await app.inject({ url: '/agents', headers: { authorization: 'Bearer x' } })
  t.equal(res.statusCode, 401)
  t.notMatch(res.body, /token db down/)
  t.ok(logs.some((line) => line.includes('token db down')), 'the failure is logged')
})

t.test('rate limit per authenticated client: 429 with Retry-After, other clients unaffected', async (t) => {
  const { app } = await buildApp(t, { tokens: ['client-a-0123456789abcdef', 'client-b-0123456789abcdef'], rateLimit: { max: 3, timeWindow: 60_000 } })
  const get = (token: string, url = '/fin/agents') => app.inject({ url, headers: { authorization: `Bearer ${token}` } })
  for (let i = 0; i < 3; i++) t.equal((await get('client-a-0123456789abcdef')).statusCode, 200)
  const limited = await get('client-a-0123456789abcdef')
  t.equal(limited.statusCode, 429)
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After in seconds')
  t.match(limited.json(), { statusCode: 429, code: 'FIN_ERR_RATE_LIMITED' })
  const limitedPosts = await app.inject({ method: 'POST', url: '/fin/get_agents', headers: { authorization: 'Bearer client-a-0123456789abcdef' } })
  t.same(Object.keys(limitedPosts.json()), ['error'], 'no data member')
  t.match(limitedPosts.json(), { error: { status: 429, type: 'urn:fastify-fin-helpdesk:error:FIN_ERR_RATE_LIMITED' } })
  t.equal((await get('client-b-0123456789abcdef')).statusCode, 200, 'the limit is per client, not per IP (Fin shares a few IPs)')
})

t.test('failed authentications are limited per IP, separately', async (t) => {
  const { app } = await buildApp(t, { authFailureLimit: { max: 3, timeWindow: 60_000 } })
  const from = (ip: string, token: string) => app.inject({ url: '/fin/agents', remoteAddress: ip, headers: { authorization: `Bearer ${token}` } })
  for (let i = 0; i < 3; i++) t.equal((await from('10.0.0.1', `guess-${i}`)).statusCode, 401)
  const blocked = await from('10.0.0.1', 'guess-4')
  t.equal(blocked.statusCode, 429)
  t.match(blocked.json(), { code: 'FIN_ERR_AUTH_RATE_LIMITED' })
  t.ok(Number(blocked.headers['retry-after']) > 0)
  t.equal((await from('10.0.0.1', 'guess-5')).statusCode, 429, 'wrong tokens stay refused with 429')
  t.equal((await from('10.0.0.1', TOKEN)).statusCode, 200, 'a valid token from the blocked IP passes: someone else\'s failures never lock Fin out')
  t.equal((await from('10.0.0.2', TOKEN)).statusCode, 200, 'other IPs are unaffected')
  t.equal((await from('10.0.0.2', 'bad')).statusCode, 401)
})

t.test('limits can be turned off', async (t) => {
  const { app } = await buildApp(t, { rateLimit: false, authFailureLimit: false })
  for (let i = 0; i < 30; i++) await app.inject({ url: '/fin/agents', headers: { authorization: 'Bearer bad' } })
  const statuses = await Promise.all(Array.from({ length: 30 }, () => app.inject({ url: '/fin/agents', headers: { authorization: `Bearer ${TOKEN}` } })))
  t.same(new Set(statuses.map((r) => r.statusCode)), new Set([200]))
  t.notOk(statuses[0]!.headers['x-ratelimit-limit'], 'no rate-limit headers')
})

t.test('the bearer scheme is case-insensitive (RFC 7235); the token is compared exactly', async (t) => {
  const { app } = await buildApp(t, { tokens: ['static-Token-0123456789abcdef'], verifyToken: (token) => token === 'Custom-Token', authFailureLimit: false })
  const get = (authorization: string) => app.inject({ url: '/fin/agents', headers: { authorization } })
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    t.equal((await get(`${scheme} static-Token-0123456789abcdef`)).statusCode, 200, `${scheme}: static token`)
    t.equal((await get(`${scheme} Custom-Token`)).statusCode, 200, `${scheme}: verifyToken`)
    const posts = await app.inject({ method: 'POST', url: '/fin/get_agents', headers: { authorization: `${scheme} static-Token-0123456789abcdef` } })
    t.equal(posts.statusCode, 200, `${scheme}: posts-only`)
  }
  for (const token of ['static-token-0123456789abcdef', 'STATIC-TOKEN-0123456789ABCDEF', 'custom-token']) {
    t.equal((await get(`bearer ${token}`)).statusCode, 401, `token ${token}: exact`)
  }
})

t.test('more distinct verified tokens than the key caches hold: each still gets its own per-client budget', async (t) => {
  // The per-token caches (fingerprint, client key) are bounded at 1,000 entries and start over past that.
  const { app } = await buildApp(t, { verifyToken: (token) => token.startsWith('db-'), rateLimit: { max: 1 }, authFailureLimit: false })
  const get = (token: string) => app.inject({ method: 'GET', url: '/fin/agents', headers: { authorization: `Bearer ${token}` } })
  for (let i = 0; i < 1001; i++) {
    const response = await get(`db-${i}`)
    if (response.statusCode !== 200) t.fail(`token ${i}: ${response.statusCode}`)
  }
  t.equal((await get('db-0')).statusCode, 429, 'the first token, past its cache entry, still has its budget spent')
  t.equal((await get('db-1001')).statusCode, 200, 'a new token has its own')
})
