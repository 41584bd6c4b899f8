import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startHelpdesk } from '../fixtures/spawn.js'
import { havePostgres, PG_URL, REDIS_URL, testPool } from '../fixtures/services.js'
import { buildHelpdesk, SEED_AGENTS } from '../../examples/helpdesk/app.js'
import { verifyPassword } from '../../examples/helpdesk/inbox/passwords.js'
import { banner } from '../../examples/helpdesk/banner.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { handoverMarks } from '../../examples/helpdesk/inbox/handovers.js'
import { credentialStore } from '../../examples/helpdesk/inbox/credentials.js'
import { sessionStore } from '../../examples/helpdesk/inbox/session-store.js'
import { PostgresStorage } from '../../lib/postgres/index.js'

// The inbox's cases that start the example as a process or use PostgreSQL (the rest: inbox-api.test.ts).
const dir = mkdtempSync(join(tmpdir(), 'fin-inbox-api-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('`npm start` prints the inbox URL and the generated passwords, and serves the page', async (t) => {
  const helpdesk = await startHelpdesk(t, { FIN_DB_PATH: join(dir, 'start.db'), CONSOLE_TOKEN: 'console-token-0123456789abcdef' })
  const url = /Inbox: +(http:\/\/127\.0\.0\.1:\d+\/inbox) /.exec(helpdesk.output())?.[1]
  t.equal(url, `${helpdesk.origin}/inbox`)
  const password = /sarah@helpdesk\.example +password: (\S+) +\(generated once/.exec(helpdesk.output())?.[1]
  t.ok(password !== undefined && password.length >= 20, 'Sarah\'s generated password is printed')
  const page = await fetch(url!)
  t.equal(page.status, 200)
  t.match(await page.text(), /<label for="password">Password<\/label>/)
  t.equal((await fetch(`${helpdesk.origin}/inbox/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'sarah@helpdesk.example', password }) })).status, 200)
  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0)
})

t.test('on PostgreSQL the marks and the password hashes sit in the helpdesk\'s schema, made once by instances starting together', async (t) => {
  if (!await havePostgres(t)) return
  const { schema } = testPool(t)
  const name = schema('inbox_marks')
  const storage = new PostgresStorage({ connectionString: PG_URL, schema: name })
  t.teardown(() => storage.close())
  await storage.ready()
  const [one, two] = await Promise.all([handoverMarks(storage), handoverMarks(storage)])
  await one.add('conv_a')
  await one.add('conv_a')
  await two.add('conv_b')
  t.same([...(await two.list()).keys()].sort(), ['conv_a', 'conv_b'], 'both instances see both')
  t.match((await two.list()).get('conv_a'), /^\d{4}-\d\d-\d\dT.*Z$/, 'when it was handed over')
  await two.delete('conv_a')
  t.same([...(await one.list()).keys()], ['conv_b'])
  t.equal((await storage.pool.query(`SELECT count(*)::int AS n FROM "${name}".inbox_handovers`)).rows[0].n, 1)
  const [c1, c2] = await Promise.all([credentialStore(storage), credentialStore(storage)])
  await c1.set('agent_sarah', 'hash-1')
  await c2.set('agent_sarah', 'hash-2')
  t.equal(await c1.get('agent_sarah'), 'hash-2')
  t.equal(await c2.get('agent_omar'), undefined)
  // A generated password is added only where none exists: of instances adding at once, one, and each says which took.
  const [a1, a2] = await Promise.all([
    c1.addMissing([{ agentId: 'agent_sarah', hash: 'hash-a' }, { agentId: 'agent_omar', hash: 'hash-a' }]),
    c2.addMissing([{ agentId: 'agent_omar', hash: 'hash-b' }])
  ])
  t.same([[...a1], [...a2]].map((ids) => ids.length).sort(), [0, 1], 'Omar\'s added by one of them')
  t.equal(await c1.get('agent_sarah'), 'hash-2', 'an existing one is left alone')
  t.equal(await c2.get('agent_omar'), a1.has('agent_omar') ? 'hash-a' : 'hash-b', 'the one that said it took')
  const [s1, s2] = await Promise.all([sessionStore(storage), sessionStore(storage)])
  const session = { agentId: 'agent_sarah', cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) } }
  const expired = { agentId: 'agent_omar', cookie: { originalMaxAge: 1, expires: new Date(Date.now() - 1000) } }
  await new Promise((resolve, reject) => s1!.set('sid-1', session, (err) => err === undefined ? resolve(null) : reject(err)))
  await new Promise((resolve, reject) => s1!.set('sid-2', expired, (err) => err === undefined ? resolve(null) : reject(err)))
  const read = (id: string) => new Promise((resolve, reject) => s2!.get(id, (err, found) => err === null ? resolve(found) : reject(err)))
  t.match(await read('sid-1'), { agentId: 'agent_sarah' }, 'another instance reads it')
  t.equal(await read('sid-2'), null, 'an expired one is not read')
  await new Promise((resolve, reject) => s2!.destroy('sid-1', (err) => err === undefined ? resolve(null) : reject(err)))
  t.equal(await read('sid-1'), null, 'destroyed for all')
})

t.test('start:postgres, two instances starting at once: each agent\'s generated password is printed by one banner only, and is the one stored', async (t) => {
  if (!await havePostgres(t)) return
  const { schema } = testPool(t)
  const config = readConfig({
    DATABASE_URL: PG_URL, FIN_DB_SCHEMA: schema('inbox_race'), REDIS_URL, FIN_API_TOKEN: 'fin-token-0123456789abcdef', CONSOLE_TOKEN: 'console-token-0123456789abcdef'
  }, 'postgres')
  const apps = await Promise.all([buildHelpdesk(config, false), buildHelpdesk(config, false)])
  t.teardown(() => Promise.all(apps.map((app) => app.close())))
  // Both read "no password yet", then each set its own: each banner printed a different one, and one of them failed.
  const results = await Promise.all(apps.map((app) => app.inbox.generatePasswords()))
  const banners = results.map((passwords) => banner({ config, address: 'http://127.0.0.1:3000', kept: {}, telemetry: false, env: {}, passwords }))
  const printed = banners.flatMap((text) => [...text.matchAll(/ {4}(\S+@helpdesk\.example) {3}password: (\S+) {3}\(generated once/g)].map((m) => ({ email: m[1]!, password: m[2]! })))
  t.same(printed.map((p) => p.email).sort(), ['omar@helpdesk.example', 'sarah@helpdesk.example'], 'one "generated once" line per agent, across both banners')
  t.equal(banners.join('').match(/password: unchanged: the one printed when it was generated/g)?.length, 2, 'the other banner says each is kept')
  // Checked against the stored hashes (a sign-in would count against the inbox's limits, in the Redis all runs share).
  const stored = await credentialStore(apps[0]!.fin.storage)
  const ids = new Map(SEED_AGENTS.map((agent) => [agent.email, agent.id]))
  for (const who of printed) t.equal(await verifyPassword(who.password, (await stored.get(ids.get(who.email)!))!), true, `${who.email}: the password as printed`)
})

t.test('start:postgres: helpdesks sharing one Redis keep their limits apart (keys named after the schema)', async (t) => {
  if (!await havePostgres(t)) return
  const { schema } = testPool(t)
  const env = (name: string): NodeJS.ProcessEnv => ({
    DATABASE_URL: PG_URL,
    FIN_DB_SCHEMA: schema(name),
    REDIS_URL,
    FIN_API_TOKEN: 'fin-token-0123456789abcdef',
    CONSOLE_TOKEN: 'console-token-0123456789abcdef',
    AGENT_PASSWORDS: 'sarah@helpdesk.example:sarahs-password-0123'
  })
  const [a, b] = await Promise.all([buildHelpdesk(readConfig(env('limits_a'), 'postgres'), false), buildHelpdesk(readConfig(env('limits_b'), 'postgres'), false)])
  t.teardown(() => Promise.all([a.close(), b.close()]))
  const signIn = (app: typeof a, password: string) => app.inject({ method: 'POST', url: '/inbox/session', payload: { email: 'sarah@helpdesk.example', password } })
  for (let i = 0; i < 10; i++) t.equal((await signIn(a, `wrong-password-${i}`)).statusCode, 401)
  t.equal((await signIn(a, 'sarahs-password-0123')).statusCode, 429, 'A: the account\'s sign-ins are limited')
  t.equal((await signIn(b, 'sarahs-password-0123')).statusCode, 200, 'B, another helpdesk on the same Redis: its own count')
  for (let i = 0; i < 20; i++) await a.inject({ url: '/console/conversations', headers: { authorization: 'Bearer wrong-console-token-0123' } })
  t.equal((await a.inject({ url: '/console/conversations', headers: { authorization: 'Bearer wrong-console-token-0123' } })).statusCode, 429, 'A: wrong console tokens limited')
  t.equal((await b.inject({ url: '/console/conversations', headers: { authorization: 'Bearer wrong-console-token-0123' } })).statusCode, 401, 'B: a wrong token there is its first failure')
})
