import { request as httpRequest } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import type { SqliteStorage } from '../../lib/sqlite/index.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { hashPassword, verifyPassword } from '../../examples/helpdesk/inbox/passwords.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-inbox-api-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

type App = Awaited<ReturnType<typeof buildHelpdesk>>
const FIN = { authorization: 'Bearer fin-token-0123456789abcdef' }
const SARAH = { email: 'sarah@helpdesk.example', password: 'sarah-password-1' }
const OMAR = { email: 'omar@helpdesk.example', password: 'omar-password-2' }

function env (db: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    FIN_API_TOKEN: 'fin-token-0123456789abcdef',
    CONSOLE_TOKEN: 'console-token-0123456789abcdef',
    FIN_DB_PATH: join(dir, db),
    AGENT_PASSWORDS: `${SARAH.email}:${SARAH.password},${OMAR.email}:${OMAR.password}`,
    ...extra
  }
}

async function conversation (app: App, title: string, user = { name: 'Jane', email: 'jane@example.com' }): Promise<string> {
  const created = (await app.inject({ method: 'POST', url: '/api/fin/user', headers: FIN, payload: user })).json()
  const made = await app.inject({ method: 'POST', url: '/api/fin/conversation', headers: FIN, payload: { user_id: created.id, title, initial_message: { body: '<p>Help</p>' } } })
  return made.json().conversation.id
}

async function handOver (app: App, id: string): Promise<void> {
  await app.inject({ method: 'PUT', url: '/api/fin/conversation', headers: FIN, payload: { conversation_id: id, assignee_id: 'agent_fin' } })
  await app.inject({ method: 'PUT', url: '/api/fin/conversation', headers: FIN, payload: { conversation_id: id, assignee_id: null } })
}

/** Signs in; the session cookie as a `cookie` header. */
async function signIn (app: App, who = SARAH): Promise<{ cookie: string }> {
  const response = await app.inject({ method: 'POST', url: '/inbox/session', payload: who })
  if (response.statusCode !== 200) throw new Error(`sign-in: ${response.statusCode} ${response.body}`)
  return { cookie: String(response.headers['set-cookie']).split(';')[0]! }
}

t.test('passwords: scrypt, salted, checked in constant time', async (t) => {
  const one = await hashPassword('correct horse')
  t.match(one, /^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
  t.not(one, await hashPassword('correct horse'), 'a salt of its own')
  t.equal(await verifyPassword('correct horse', one), true)
  t.equal(await verifyPassword('correct hors', one), false)
  t.equal(await verifyPassword('x', 'md5$abc'), false, 'an unknown scheme never matches')
})

t.test('sign-in: email and password; a session cookie that is HttpOnly, SameSite=Strict and expires; sign-out ends it', async (t) => {
  const app = await buildHelpdesk(readConfig(env('auth.db')), false)
  t.teardown(() => app.close())
  t.same(await app.inbox.generatePasswords(), { generated: [], kept: [] }, 'AGENT_PASSWORDS given: nothing generated')
  for (const url of ['/inbox/api/me', '/inbox/api/conversations', '/inbox/api/conversations/x', '/inbox/api/events']) {
    t.match((await app.inject({ url })).json(), { statusCode: 401, code: 'FIN_ERR_UNAUTHORIZED' }, `${url} signed out`)
    t.match((await app.inject({ url, headers: { authorization: 'Bearer console-token-0123456789abcdef' } })).json(), { statusCode: 401 }, `${url}: the console token is for the console API`)
  }
  const wrong = await app.inject({ method: 'POST', url: '/inbox/session', payload: { email: SARAH.email, password: 'nope' } })
  t.same(wrong.json(), { statusCode: 401, code: 'FIN_ERR_UNAUTHORIZED', error: 'Unauthorized', message: 'Wrong email or password' })
  t.equal(wrong.headers['set-cookie'], undefined, 'no cookie')
  const fin = await app.inject({ method: 'POST', url: '/inbox/session', payload: { email: 'fin@helpdesk.example', password: 'anything' } })
  t.equal(fin.statusCode, 401, 'Fin never signs in')
  const ok = await app.inject({ method: 'POST', url: '/inbox/session', payload: { email: 'SARAH@helpdesk.example ', password: SARAH.password } })
  t.same(ok.json(), { agent: { id: 'agent_sarah', name: 'Sarah Johnson', email: SARAH.email } })
  const cookie = String(ok.headers['set-cookie'])
  t.match(cookie, /^inbox_session=[^;]+; Path=\/inbox; Expires=[^;]+; HttpOnly; SameSite=Strict$/, 'not Secure on loopback only')
  const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!)
  t.ok(Math.abs(expires - Date.now() - 8 * 3600_000) < 5000, 'expires in 8 hours')
  const headers = { cookie: cookie.split(';')[0]! }
  t.same((await app.inject({ url: '/inbox/api/me', headers })).json(), { id: 'agent_sarah', name: 'Sarah Johnson', email: SARAH.email })
  t.equal((await app.inject({ method: 'DELETE', url: '/inbox/session', headers })).statusCode, 204)
  t.equal((await app.inject({ url: '/inbox/api/me', headers })).statusCode, 401, 'signed out: the old cookie is worth nothing')
})

t.test('outside loopback the cookie is Secure; a short INBOX_SESSION_TTL expires', async (t) => {
  const app = await buildHelpdesk(readConfig(env('secure.db', { HOST: '0.0.0.0', INBOX_SESSION_TTL: '1' })), false)
  t.teardown(() => app.close())
  // Secure cookies are only sent over HTTPS: a plain-HTTP sign-in is refused, saying why: where the helpdesk listens,
  // not where the request came from (here 127.0.0.1, which "or from 127.0.0.1" used to suggest was fine).
  const plain = await app.inject({ method: 'POST', url: '/inbox/session', payload: SARAH, remoteAddress: '127.0.0.1' })
  t.match(plain.json(), { statusCode: 400, code: 'FIN_ERR_BAD_REQUEST' })
  t.equal(plain.json().message, 'Sign-in needs HTTPS: HOST is not loopback, so the session cookie is Secure; serve the helpdesk behind a TLS proxy with TRUST_PROXY set, or set HOST=127.0.0.1')
  t.equal(plain.headers['set-cookie'], undefined, 'no cookie over plain HTTP')
  const local = await buildHelpdesk(readConfig(env('ttl.db', { INBOX_SESSION_TTL: '1' })), false)
  t.teardown(() => local.close())
  const headers = await signIn(local)
  t.equal((await local.inject({ url: '/inbox/api/me', headers })).statusCode, 200)
  // Against the real clock (the session library reads Date.now): polled, bounded.
  const deadline = Date.now() + 5000
  let status = 200
  while (status === 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    status = (await local.inject({ url: '/inbox/api/me', headers })).statusCode
  }
  t.equal(status, 401, 'expired after INBOX_SESSION_TTL')
})

t.test('behind a TLS proxy (TRUST_PROXY): sign-in off loopback works over the proxy\'s https, and the limits see the client', async (t) => {
  const app = await buildHelpdesk(readConfig(env('proxy.db', { HOST: '0.0.0.0', TRUST_PROXY: '127.0.0.1' })), false)
  t.teardown(() => app.close())
  const proxied = await app.inject({ method: 'POST', url: '/inbox/session', payload: SARAH, headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' } })
  t.equal(proxied.statusCode, 200, 'the proxy said https')
  t.match(String(proxied.headers['set-cookie']), /; Secure/)
  const direct = await app.inject({ method: 'POST', url: '/inbox/session', payload: SARAH })
  t.equal(direct.statusCode, 400, 'without the proxy\'s word it is plain http')
  // Each client behind the proxy has its own failed-sign-in budget per IP.
  let n = 0
  const guess = (ip: string) => app.inject({ method: 'POST', url: '/inbox/session', payload: { email: `nobody-${n++}@example.com`, password: 'wrong-password' }, headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': ip } })
  const statuses: number[] = []
  for (let i = 0; i < 31; i++) statuses.push((await guess('198.51.100.1')).statusCode)
  t.same([...new Set(statuses.slice(0, 30))], [401], 'thirty wrong guesses from one client')
  t.equal(statuses[30], 429, 'one client past its budget')
  t.equal((await guess('198.51.100.2')).statusCode, 401, 'another client behind the same proxy is not locked out')
})

t.test('sessions live in the helpdesk\'s database: another instance honours them, a sign-out ends them everywhere', async (t) => {
  const config = readConfig(env('shared.db', { INBOX_SESSION_SECRET: 's'.repeat(32) }))
  const one = await buildHelpdesk(config, false)
  t.teardown(() => one.close())
  const two = await buildHelpdesk(config, false)
  t.teardown(() => two.close())
  const headers = await signIn(one)
  t.equal((await two.inject({ url: '/inbox/api/me', headers })).json().id, 'agent_sarah', 'signed in on one, known on two')
  t.equal((await two.inject({ method: 'DELETE', url: '/inbox/session', headers })).statusCode, 204)
  t.equal((await one.inject({ url: '/inbox/api/me', headers })).statusCode, 401, 'signed out on two, out on one')
  const again = await signIn(two)
  await one.close()
  const restarted = await buildHelpdesk(config, false)
  t.teardown(() => restarted.close())
  t.equal((await restarted.inject({ url: '/inbox/api/me', headers: again })).statusCode, 200, 'a restart keeps the sign-in')
  t.throws(() => readConfig({ INBOX_SESSION_SECRET: 'short' }), /32 characters/)
})

t.test('without INBOX_SESSION_SECRET each instance signs with its own secret: a sign-in on one is 401 on another (README: Several instances)', async (t) => {
  const config = readConfig(env('unshared.db'))
  const one = await buildHelpdesk(config, false)
  t.teardown(() => one.close())
  const two = await buildHelpdesk(config, false)
  t.teardown(() => two.close())
  const headers = await signIn(one)
  t.equal((await one.inject({ url: '/inbox/api/me', headers })).statusCode, 200)
  t.equal((await two.inject({ url: '/inbox/api/me', headers })).statusCode, 401, 'the same database, another secret')
})

t.test('without AGENT_PASSWORDS: generated once per agent, printed by npm start, kept across restarts', async (t) => {
  const config = readConfig({ FIN_API_TOKEN: 'fin-token-0123456789abcdef', FIN_DB_PATH: join(dir, 'generated.db') })
  let app = await buildHelpdesk(config, false)
  const { generated } = await app.inbox.generatePasswords()
  t.same(generated.map((g) => g.email), ['sarah@helpdesk.example', 'omar@helpdesk.example'], 'the human agents, not Fin')
  t.ok(generated.every((g) => g.password.length >= 20))
  await app.close()
  app = await buildHelpdesk(config, false)
  t.teardown(() => app.close())
  t.same(await app.inbox.generatePasswords(), { generated: [], kept: ['sarah@helpdesk.example', 'omar@helpdesk.example'] }, 'not again: each keeps the one printed when it was generated (the banner says so)')
  t.equal((await app.inject({ method: 'POST', url: '/inbox/session', payload: generated[1] })).json().agent.id, 'agent_omar')
  t.throws(() => readConfig({ AGENT_PASSWORDS: 'sarah@helpdesk.example' }), /entry 1 is not email:password/)
  t.throws(() => readConfig({ AGENT_PASSWORDS: 'sarah@helpdesk.example:short' }), /8 characters/)
})

t.test('two instances starting at once on one SQLite file: one generates and prints each password, the other says it is kept; every printed password works', async (t) => {
  const config = readConfig({ FIN_API_TOKEN: 'fin-token-0123456789abcdef', FIN_DB_PATH: join(dir, 'race.db') })
  const apps = await Promise.all([buildHelpdesk(config, false), buildHelpdesk(config, false)])
  t.teardown(() => Promise.all(apps.map((app) => app.close())))
  // Both read "no password yet" before either wrote one (each waits on its scrypt in between): the second write
  // replaced the first, and the first banner printed a password that did not work.
  const results = await Promise.all(apps.map((app) => app.inbox.generatePasswords()))
  const printed = results.flatMap((result) => result.generated)
  t.same(printed.map((p) => p.email).sort(), ['omar@helpdesk.example', 'sarah@helpdesk.example'], 'each agent\'s password printed by one instance only')
  for (const { generated, kept } of results) {
    t.same([...generated.map((p) => p.email), ...kept].sort(), ['omar@helpdesk.example', 'sarah@helpdesk.example'], 'the other instance says the agent keeps the one printed')
  }
  for (const who of printed) {
    for (const app of apps) t.equal((await app.inject({ method: 'POST', url: '/inbox/session', payload: who })).statusCode, 200, `${who.email} signs in with the printed password`)
  }
})

t.test('building the app writes no generated password: npm start generates them once it listens, so a start that cannot listen (PORT taken by another) writes and deletes none', async (t) => {
  const config = readConfig({ FIN_API_TOKEN: 'fin-token-0123456789abcdef', FIN_DB_PATH: join(dir, 'unlistened.db'), AGENT_PASSWORDS: `${SARAH.email}:${SARAH.password}` })
  const app = await buildHelpdesk(config, false)
  t.teardown(() => app.close())
  const db = (app.fin.storage as SqliteStorage).db
  t.same(db.prepare('SELECT agent_id FROM inbox_credentials').pluck().all(), ['agent_sarah'], 'only the one AGENT_PASSWORDS set')
  const { generated, kept } = await app.inbox.generatePasswords()
  t.same(generated.map((p) => p.email), [OMAR.email])
  t.same(kept, [])
  t.same(db.prepare('SELECT agent_id FROM inbox_credentials ORDER BY agent_id').pluck().all(), ['agent_omar', 'agent_sarah'])
})

t.test('AGENT_PASSWORDS as the README has it: sets the listed agents\' passwords at this start; the others keep theirs; kept after', async (t) => {
  const db = { FIN_API_TOKEN: 'fin-token-0123456789abcdef', FIN_DB_PATH: join(dir, 'given.db') }
  const omar = { email: OMAR.email, password: 'omar-first-password' }
  const start = async (passwords: string) => {
    const app = await buildHelpdesk(readConfig({ ...db, AGENT_PASSWORDS: passwords }), false)
    t.teardown(() => app.close())
    return app
  }
  const signsIn = async (app: App, who: { email: string, password: string }) => (await app.inject({ method: 'POST', url: '/inbox/session', payload: who })).statusCode
  const first = await start(`${SARAH.email}:${SARAH.password},${omar.email}:${omar.password}`)
  await first.close()
  const second = await start(`${SARAH.email}:sarah-new-password`)
  t.same((await second.inbox.generatePasswords()).kept, [OMAR.email], 'Omar, not listed, keeps his')
  t.same([await signsIn(second, { ...SARAH, password: 'sarah-new-password' }), await signsIn(second, SARAH), await signsIn(second, omar)], [200, 401, 200])
  await second.close()
  const third = await start('')
  t.equal(await signsIn(third, { ...SARAH, password: 'sarah-new-password' }), 200, 'kept after, AGENT_PASSWORDS unset')
})

t.test('failed sign-ins are limited per account and per IP; a right password waits too', async (t) => {
  const app = await buildHelpdesk(readConfig(env('limits.db')), false)
  t.teardown(() => app.close())
  for (let i = 0; i < 10; i++) t.equal((await app.inject({ method: 'POST', url: '/inbox/session', payload: { email: SARAH.email, password: `guess-${i}` } })).statusCode, 401)
  const locked = await app.inject({ method: 'POST', url: '/inbox/session', payload: SARAH })
  t.match(locked.json(), { statusCode: 429, code: 'FIN_ERR_AUTH_RATE_LIMITED' }, 'the account: 10 attempts per 15 minutes')
  t.ok(Number(locked.headers['retry-after']) > 0)
  t.equal((await app.inject({ method: 'POST', url: '/inbox/session', payload: OMAR })).statusCode, 200, 'another account is not locked')
  // Per IP: 30 attempts per 15 minutes across accounts (12 made so far from this IP).
  for (let i = 0; i < 18; i++) await app.inject({ method: 'POST', url: '/inbox/session', payload: { email: `nobody${i}@example.com`, password: 'x' } })
  t.match((await app.inject({ method: 'POST', url: '/inbox/session', payload: OMAR })).json(), { statusCode: 429, code: 'FIN_ERR_AUTH_RATE_LIMITED' }, 'the IP')
  t.equal((await app.inject({ method: 'POST', url: '/inbox/session', payload: OMAR, remoteAddress: '10.0.0.9' })).statusCode, 200, 'another IP')
})

t.test('every action is the signed-in agent\'s: another author, agent or assignee is refused, nothing written', async (t) => {
  const app = await buildHelpdesk(readConfig(env('acts.db')), false)
  t.teardown(() => app.close())
  const id = await conversation(app, 'Who')
  const headers = await signIn(app)
  const before = await app.fin.storage.listMessages(id)
  for (const [url, payload] of [
    ['messages', { body: '<p>as Omar</p>', author_id: 'agent_omar' }],
    ['messages', { body: '<p>as Fin</p>', author_id: 'agent_fin' }],
    ['typing', { agent_id: 'agent_fin' }],
    ['assign', { assignee_id: 'agent_omar' }]
  ] as const) {
    const response = await app.inject({ method: 'POST', url: `/inbox/api/conversations/${id}/${url}`, headers, payload })
    t.match(response.json(), { statusCode: 400, code: 'FIN_ERR_BAD_REQUEST', message: /only as the signed-in agent/ }, `${url} ${JSON.stringify(payload)}`)
  }
  t.same(await app.fin.storage.listMessages(id), before, 'no message')
  t.equal((await app.fin.storage.getConversation(id))?.assignee, undefined, 'not assigned')
  const sent = await app.inject({ method: 'POST', url: `/inbox/api/conversations/${id}/messages`, headers, payload: { body: '<p>Hello</p>', author_id: 'agent_sarah' } })
  t.equal(sent.statusCode, 201, 'naming oneself is fine')
  t.match((await app.fin.storage.listMessages(id))!.at(-1), { author: { id: 'agent_sarah' }, body: '<p>Hello</p>' })
  t.match(await app.fin.storage.getConversation(id), { assignee: { id: 'agent_sarah' } }, 'a reply assigns the conversation to who replied')
  t.equal((await app.inject({ method: 'POST', url: `/inbox/api/conversations/${id}/assign`, headers: await signIn(app, OMAR), payload: {} })).statusCode, 200)
  t.match(await app.fin.storage.getConversation(id), { assignee: { id: 'agent_omar' } }, 'taking: assigned to who took it')
})

t.test('Idempotency-Key: scoped to the agent and the conversation', async (t) => {
  const app = await buildHelpdesk(readConfig(env('idem.db')), false)
  t.teardown(() => app.close())
  const a = await conversation(app, 'A')
  const b = await conversation(app, 'B')
  const sarah = await signIn(app)
  const omar = await signIn(app, OMAR)
  const post = (headers: { cookie: string }, id: string, body: string) => app.inject({
    method: 'POST', url: `/inbox/api/conversations/${id}/messages`, headers: { ...headers, 'idempotency-key': 'k-1' }, payload: { body, visibility: 'private' }
  })
  const first = await post(sarah, a, '<p>Sarah note</p>')
  const retry = await post(sarah, a, '<p>Sarah note</p>')
  t.equal(first.statusCode, 201)
  t.equal(retry.json().id, first.json().id, 'a retry: the same message')
  const other = await post(omar, a, '<p>Omar note</p>')
  t.not(other.json().id, first.json().id, 'another agent\'s same key: another message')
  t.match(other.json(), { author: 'Omar Haddad', body: '<p>Omar note</p>' })
  const elsewhere = await post(sarah, b, '<p>Sarah in B</p>')
  t.equal(elsewhere.statusCode, 201, 'the same key in another conversation is another message')
  t.same((await app.fin.storage.listMessages(a))!.map((m) => m.body), ['<p>Help</p>', '<p>Sarah note</p>', '<p>Omar note</p>'])
})

t.test('views on the server: Needs a human, Mine, Unassigned, All, search, cursor pages', async (t) => {
  const app = await buildHelpdesk(readConfig(env('views.db')), false)
  t.teardown(() => app.close())
  const oldest = await conversation(app, 'Oldest, handed over', { name: 'Ann Old', email: 'ann@old.example' })
  await handOver(app, oldest)
  for (let i = 0; i < 120; i++) await conversation(app, `Bulk ${i}`)
  const mine = await conversation(app, 'Mine')
  const headers = await signIn(app)
  await app.inject({ method: 'POST', url: `/inbox/api/conversations/${mine}/assign`, headers, payload: {} })
  const list = async (query: string) => (await app.inject({ url: `/inbox/api/conversations?${query}`, headers })).json()
  const human = await list('view=human')
  t.same(human.conversations.map((c: { title: string }) => c.title), ['Oldest, handed over'], 'found behind 121 newer ones')
  t.match(human.conversations[0], { needs_human: true, waiting_since: /^\d{4}-\d\d-\d\dT/, last_message: { author: 'Ann Old', from: 'user', body: '<p>Help</p>' } })
  t.same((await list('view=mine')).conversations.map((c: { title: string }) => c.title), ['Mine'])
  t.equal((await list('view=unassigned&limit=200')).conversations.length, 121)
  t.same((await list('view=all&search=ANN@OLD')).conversations.map((c: { id: string }) => c.id), [oldest], 'search: customer email')
  t.same((await list('view=all&search=bulk 11')).conversations.map((c: { title: string }) => c.title), ['Bulk 119', 'Bulk 118', 'Bulk 117', 'Bulk 116', 'Bulk 115', 'Bulk 114', 'Bulk 113', 'Bulk 112', 'Bulk 111', 'Bulk 110', 'Bulk 11'])
  const seen = new Set<string>()
  let cursor: string | null = null
  let pages = 0
  do {
    const page: { conversations: Array<{ id: string }>, next_cursor: string | null } = await list(`view=all${cursor === null ? '' : `&cursor=${cursor}`}`)
    for (const c of page.conversations) seen.add(c.id)
    cursor = page.next_cursor
    pages++
  } while (cursor !== null)
  t.equal(seen.size, 122, 'every conversation once')
  t.equal(pages, 3, '50 a page')
  t.match((await app.inject({ url: '/inbox/api/conversations?cursor=zzz', headers })).json(), { statusCode: 400, code: 'FIN_ERR_BAD_REQUEST' })
  t.match((await app.inject({ url: '/inbox/api/conversations?view=nope', headers })).json(), { statusCode: 400, code: 'FIN_ERR_VALIDATION' })
})

t.test('one URL serves the page, with CSP, nosniff and no referrer; the folder is not a second way in', async (t) => {
  const app = await buildHelpdesk(readConfig(env('assets.db')), false)
  t.teardown(() => app.close())
  const page = await app.inject({ url: '/inbox' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.equal(page.headers['content-security-policy'], "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  t.equal(page.headers['referrer-policy'], 'no-referrer')
  t.equal(page.headers['x-frame-options'], 'DENY')
  t.match(page.body, /<script type="module" src="\/inbox\/assets\/js\/inbox\.js">/)
  t.equal((await app.inject({ url: '/inbox/assets/index.html' })).statusCode, 404, 'not also at /inbox/assets/index.html')
  const slash = await app.inject({ url: '/inbox/' })
  t.equal(slash.statusCode, 302, '/inbox/ (a trailing slash) is no 404')
  t.equal(slash.headers.location, '/inbox', 'it leads to the page')
  const script = await app.inject({ url: '/inbox/assets/js/inbox.js' })
  t.equal(script.statusCode, 200)
  t.equal(script.headers['x-content-type-options'], 'nosniff')
  const favicon = await app.inject({ url: '/inbox/assets/favicon.svg' })
  t.match(favicon.headers['content-type'], /^image\/svg\+xml/)
  t.equal((await app.inject({ url: '/favicon.ico' })).statusCode, 200)
  t.equal((await app.inject({ url: '/inbox/assets/../index.ts' })).statusCode, 404, 'nothing outside public/')
})

t.test('rate limit per agent session: one agent\'s burst does not lock the others out', async (t) => {
  const app = await buildHelpdesk(readConfig(env('agent-limit.db')), false)
  t.teardown(() => app.close())
  const sarah = await signIn(app)
  const omar = await signIn(app, OMAR)
  const statuses = []
  for (let i = 0; i < 601; i++) statuses.push((await app.inject({ url: '/inbox/api/me', headers: sarah })).statusCode)
  t.equal(statuses.filter((s) => s === 200).length, 600)
  t.same(statuses.slice(600), [429], 'Sarah\'s 601st in a minute')
  t.equal((await app.inject({ url: '/inbox/api/me', headers: omar })).statusCode, 200, 'Omar is not limited by Sarah')
})

/** An event stream read over a raw socket: `pause()` stops reading it, as a stalled client would. */
function openStream (origin: string, cookie: string): Promise<{ res: import('node:http').IncomingMessage, text: () => string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${origin}/inbox/api/events`, { headers: { cookie } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      resolve({ res, text: () => text })
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('event streams: each change once with its row; capped per agent; dropped when the client stops reading', async (t) => {
  const app = await buildHelpdesk(readConfig(env('events.db')), false)
  const origin = await app.listen({ host: '127.0.0.1', port: 0 })
  const { cookie } = await signIn(app)
  const stream = await openStream(origin, cookie)
  t.equal(stream.res.statusCode, 200)
  t.equal(stream.res.headers['content-type'], 'text/event-stream; charset=utf-8')
  const id = await conversation(app, 'Live')
  while (!stream.text().includes('"kind":"message"')) await new Promise((resolve) => stream.res.once('data', resolve))
  const frames = stream.text().split('\n\n').filter((f) => f.startsWith('event: change'))
  t.equal(frames.length, 1, 'a conversation and its first message, in one turn: one frame')
  const change = JSON.parse(frames[0]!.split('data: ')[1]!)
  t.match(change, { kind: 'message', conversation_id: id, conversation: { id, title: 'Live', last_message: { body: '<p>Help</p>' } } })

  // Four streams an agent; a fifth ends the oldest.
  const more = [await openStream(origin, cookie), await openStream(origin, cookie), await openStream(origin, cookie)]
  t.equal(app.inbox.hub.streamsOf('agent_sarah'), 4)
  const ended = new Promise((resolve) => stream.res.once('close', resolve))
  more.push(await openStream(origin, cookie))
  await ended
  t.match(stream.text(), /event: replaced\ndata: \{\}\n\n$/, 'told why, so it does not reconnect')
  t.equal(app.inbox.hub.streamsOf('agent_sarah'), 4, 'the oldest gave way')

  // A client that stops reading: the server drops it instead of buffering for it.
  const stalled = more[0]!
  stalled.res.pause()
  const dropped: Array<[string, string]> = []
  app.inbox.hub.on('dropped', (agent: string, reason: string) => dropped.push([agent, reason]))
  const big = 'x'.repeat(60_000)
  for (let i = 0; i < 200 && app.inbox.hub.streamsOf('agent_sarah') === 4; i++) {
    app.inbox.hub.publish({ kind: 'sync', conversation_id: id, conversation: null, ...{ pad: big } } as never)
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.same(dropped, [['agent_sarah', 'client stopped reading']], 'dropped, before 200 frames of 60 KB were buffered for it')
  t.equal(app.inbox.hub.streamsOf('agent_sarah'), 3, 'the readers stay')
  for (const s of more) s.res.destroy()
  await app.close()
})

t.test('"Needs a human" survives a restart, and ends when someone is assigned', async (t) => {
  const config = readConfig(env('marks.db'))
  const needsHuman = async (app: App): Promise<Record<string, boolean>> =>
    Object.fromEntries((await app.inject({ url: '/inbox/api/conversations', headers: await signIn(app) })).json().conversations.map((c: { title: string, needs_human: boolean }) => [c.title, c.needs_human]))
  let app = await buildHelpdesk(config, false)
  const a = await conversation(app, 'A')
  const b = await conversation(app, 'B')
  await conversation(app, 'never assigned')
  for (const id of [a, b]) await handOver(app, id)
  t.same(await needsHuman(app), { B: true, A: true, 'never assigned': false })
  await app.close()

  app = await buildHelpdesk(config, false)
  t.teardown(() => app.close())
  t.same(await needsHuman(app), { B: true, A: true, 'never assigned': false }, 'after a restart')
  await app.inject({ method: 'POST', url: `/inbox/api/conversations/${a}/assign`, headers: await signIn(app, OMAR), payload: {} })
  t.same(await needsHuman(app), { A: false, B: true, 'never assigned': false }, 'taken')
  await app.inject({ method: 'PUT', url: '/api/fin/conversation', headers: FIN, payload: { conversation_id: b, status: 'resolved' } })
  t.same(await needsHuman(app), { B: false, A: false, 'never assigned': false }, 'resolved: not open')
})

t.test('a failure the outbox kept shows after a restart, with its reason; Retry now asks Fin again', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 400, body: '{"error":"nope"}' })
  const config = readConfig(env('failed.db', { FIN_INTEGRATION_ID: 'int_1', FIN_WEBHOOK_KEY: 'k', FIN_BASE_URL: fin.url }))
  let app = await buildHelpdesk(config, false)
  const id = await conversation(app, 'Rejected')
  const failed = app.fin.events.once('notify.failed')
  await app.inject({ method: 'POST', url: `/inbox/api/conversations/${id}/status`, headers: await signIn(app), payload: { status: 'resolved' } })
  const { reason } = await failed
  t.match((await app.inject({ url: `/inbox/api/conversations/${id}`, headers: await signIn(app) })).json().conversation.sync, { state: 'failed', reason })
  await app.close()
  app = await buildHelpdesk(config, false)
  t.teardown(() => app.close())
  const headers = await signIn(app)
  t.match((await app.inject({ url: '/inbox/api/conversations?view=all', headers })).json().conversations[0].sync, { state: 'failed', reason, at: /^\d{4}-/ }, 'in the list too')
  const sent = app.fin.events.once('notify.sent')
  const before = fin.received.length
  t.equal((await app.inject({ method: 'POST', url: `/inbox/api/conversations/${id}/sync`, headers })).statusCode, 202)
  await sent
  t.same(fin.received.slice(before).map((e) => e.body), [{ conversation_id: id }], 'synced again')
  t.match((await app.inject({ url: `/inbox/api/conversations/${id}`, headers })).json().conversation.sync, { state: 'delivered' })
})
