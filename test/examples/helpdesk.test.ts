import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { readConfig } from '../../examples/helpdesk/config.js'
import { signFinRequest } from '../../lib/auth/signature.js'
import { SqliteStorage } from '../../lib/sqlite/index.js'
import { startHelpdesk } from '../fixtures/spawn.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'fin-example-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** The README's curl walkthrough, between its markers, exactly as written. */
function walkthrough (): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = /<!-- walkthrough:start -->([\s\S]*?)<!-- walkthrough:end -->/.exec(readme)
  if (section === null) throw new Error('README has no walkthrough section')
  return [...section[1]!.matchAll(/```sh\n([\s\S]*?)```/g)].map((block) => block[1]).join('\n')
}

t.test('configuration from env, with clear errors', async (t) => {
  const config = readConfig({
    FIN_API_TOKEN: ' token-a-0123456789, token-b-0123456789 ,', PORT: '8080', FIN_RATE_LIMIT: '0', HOST: '0.0.0.0', FIN_DB_PATH: '/x/y.db', CONSOLE_TOKEN: 'console-0123456789', FIN_INTEGRATION_ID: 'i', FIN_WEBHOOK_KEY: 'k', FIN_REGION: 'eu'
  })
  t.same(config, {
    backend: 'sqlite',
    databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
    dbSchema: 'fin',
    redisUrl: 'redis://127.0.0.1:6379',
    notifyLease: undefined,
    host: '0.0.0.0',
    port: 8080,
    tokens: ['token-a-0123456789', 'token-b-0123456789'],
    tokenGenerated: false,
    dbPath: '/x/y.db',
    rateLimit: 0,
    consoleToken: 'console-0123456789',
    consoleTokenGenerated: false,
    notify: { integrationId: 'i', webhookKey: 'k', region: 'eu', baseUrl: undefined },
    oauth: undefined,
    signingSecrets: [],
    agentPasswords: new Map(),
    inboxSessionSecret: undefined,
    inboxSessionTtl: 28_800
  })
  t.same(readConfig({ FIN_OAUTH_CLIENTS: 'fin:secret-0123456789abcdef, fin2:other:secret-with-colon', FIN_OAUTH_TOKEN_TTL: '600', FIN_SIGNING_SECRET: 'token-a-0123456789,token-b-0123456789' }).oauth, {
    clients: [{ id: 'fin', secret: 'secret-0123456789abcdef' }, { id: 'fin2', secret: 'other:secret-with-colon' }], tokenTtl: 600
  })
  t.same(readConfig({ FIN_SIGNING_SECRET: ' token-a-0123456789, token-b-0123456789 ' }).signingSecrets, ['token-a-0123456789', 'token-b-0123456789'])
  t.match(readConfig({ DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', FIN_DB_SCHEMA: 'fin_b', FIN_NOTIFY_LEASE_MS: '5000' }, 'postgres'), {
    backend: 'postgres', databaseUrl: 'postgres://db/x', redisUrl: 'redis://r', dbSchema: 'fin_b', notifyLease: 5000
  })
  t.throws(() => readConfig({ FIN_DB_SCHEMA: 'Bad-Schema' }), /FIN_DB_SCHEMA/)
  t.throws(() => readConfig({ FIN_OAUTH_CLIENTS: 'no-secret' }), /client_id:client_secret/)
  t.throws(() => readConfig({ FIN_OAUTH_CLIENTS: 'a:b', FIN_OAUTH_TOKEN_TTL: '0' }), /FIN_OAUTH_TOKEN_TTL/)
  t.match(readConfig({ FIN_INTEGRATION_ID: 'i', FIN_WEBHOOK_KEY: 'k', FIN_BASE_URL: 'http://127.0.0.1:9' }).notify, { region: 'us', baseUrl: 'http://127.0.0.1:9' })
  t.throws(() => readConfig({ FIN_INTEGRATION_ID: 'i' }), /both FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY/)
  t.throws(() => readConfig({ FIN_INTEGRATION_ID: 'i', FIN_WEBHOOK_KEY: 'k', FIN_REGION: 'mars' }), /FIN_REGION/)
  const defaults = readConfig({})
  t.match(defaults, { host: '127.0.0.1', port: 3000, tokenGenerated: true, dbPath: './data/helpdesk.db', rateLimit: undefined, consoleTokenGenerated: true, notify: undefined })
  t.not(defaults.consoleToken, defaults.tokens[0], 'the console has its own token')
  t.match(defaults.tokens, [/^[\w-]{32}$/], 'a generated token')
  t.throws(() => readConfig({ PORT: 'eighty' }), /PORT must be an integer/)
  t.throws(() => readConfig({ FIN_RATE_LIMIT: '-1' }), /FIN_RATE_LIMIT/)
})

t.test('started as a child process: healthz, tokens from env, the README walkthrough, seeding once', async (t) => {
  const path = join(dir, 'walkthrough', 'helpdesk.db')
  const helpdesk = await startHelpdesk(t, { FIN_DB_PATH: path, FIN_API_TOKEN: 'token-one-0123456789,token-two-0123456789' })
  t.match(helpdesk.output(), /curl -s -H "Authorization: Bearer \$\{FIN_API_TOKEN%%,\*\}" http:\/\/127\.0\.0\.1:\d+\/api\/fin\/agents/)
  t.same(await (await fetch(`${helpdesk.origin}/healthz`)).json(), { status: 'ok', storage: 'ok', outbox: null })

  for (const token of ['token-one-0123456789', 'token-two-0123456789']) {
    const res = await fetch(`${helpdesk.base}/agents`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.status, 200, token)
    t.same((await res.json() as Array<{ id: string }>).map((a) => a.id), ['agent_fin', 'agent_sarah', 'agent_omar'])
  }
  t.equal((await fetch(`${helpdesk.base}/agents`, { headers: { authorization: 'Bearer nope' } })).status, 401)

  const printed = /curl [^\n]+/.exec(helpdesk.output())![0]
  const { stdout: agents } = await run('sh', ['-c', printed], { env: { ...process.env, FIN_API_TOKEN: 'token-one-0123456789,token-two-0123456789' } })
  t.equal(JSON.parse(agents).length, 3, 'the printed curl command works as printed')

  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', walkthrough()], { env: { ...process.env, BASE: helpdesk.base, TOKEN: 'token-one-0123456789' } })
  const lines = stdout.trim().split('\n')
  const last = JSON.parse(lines[lines.length - 1]!)
  t.match(last, [{ message_type: 'comment', author: { id: 'agent_fin', user_type: 'agent' }, body: '<p>Our Pro plan is $20 a month.</p>' }], 'the last step lists only the message after the first')

  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0, 'a graceful exit')
  t.notOk(existsSync(`${path}-wal`), 'the database was closed cleanly (WAL checkpointed and removed)')

  const storage = new SqliteStorage({ path })
  await storage.upsertAgent({ id: 'agent_new', name: 'New', email: 'new@example.com' })
  storage.db.prepare("DELETE FROM fin_agents WHERE id = 'agent_omar'").run()
  await storage.close()
  const again = await startHelpdesk(t, { FIN_DB_PATH: path, FIN_API_TOKEN: 'token-one-0123456789' })
  const res = await fetch(`${again.base}/agents`, { headers: { authorization: 'Bearer token-one-0123456789' } })
  t.same((await res.json() as Array<{ id: string }>).map((a) => a.id), ['agent_fin', 'agent_sarah', 'agent_new'], 'no reseeding on a second start')
  again.child.kill('SIGTERM')
  t.equal(await again.exited, 0)
})

t.test('SIGTERM lets in-flight requests finish: nothing processed goes unanswered', async (t) => {
  const path = join(dir, 'shutdown', 'helpdesk.db')
  const helpdesk = await startHelpdesk(t, { FIN_DB_PATH: path, FIN_API_TOKEN: 'tok-0123456789abcdef', FIN_RATE_LIMIT: '0' })
  const headers = { authorization: 'Bearer tok-0123456789abcdef', 'content-type': 'application/json' }
  const user = await (await fetch(`${helpdesk.base}/user`, { method: 'POST', headers, body: '{"name":"Jane"}' })).json() as { id: string }
  const created = await (await fetch(`${helpdesk.base}/conversation`, {
    method: 'POST', headers, body: JSON.stringify({ user_id: user.id, initial_message: { body: 'hi' } })
  })).json() as { conversation: { id: string } }
  const outcomes: string[] = []
  const acked: string[] = []
  let first!: () => void
  const firstAnswer = new Promise<void>((resolve) => { first = resolve })
  const requests = Array.from({ length: 40 }, (_, i) => fetch(`${helpdesk.base}/messages`, {
    method: 'POST', headers, body: JSON.stringify({ conversation_id: created.conversation.id, body: `<p>${i}</p>`, author: { id: 'agent_sarah', user_type: 'agent' } })
  }).then(async (res) => {
    outcomes.push(String(res.status))
    if (res.status === 201) acked.push((await res.json() as { id: string }).id)
    first()
  }, (err: Error & { cause?: { code?: string } }) => { outcomes.push(err.cause?.code ?? err.message) }))
  await firstAnswer
  helpdesk.child.kill('SIGTERM')
  await Promise.all(requests)
  t.equal(await helpdesk.exited, 0)
  // A request that reaches a closing server is answered (201, or 503 once closing); one written onto a keep-alive
  // socket the server is closing is refused or reset before the server reads it, and a client retries it.
  t.same(outcomes.filter((o) => !['201', '503', 'ECONNREFUSED', 'ECONNRESET'].includes(o)), [], `outcomes: ${[...new Set(outcomes)]}`)
  t.ok(acked.length > 0)
  const storage = new SqliteStorage({ path })
  t.teardown(() => storage.close())
  const stored = (await storage.listMessages(created.conversation.id))!.slice(1).map((m) => m.id)
  t.same(stored.sort(), acked.sort(), `the ${acked.length} acknowledged messages are stored, and nothing that went unanswered`)
})

t.test('from env: the OAuth token endpoint at /api/fin/oauth/token, and signatures required', async (t) => {
  const helpdesk = await startHelpdesk(t, {
    FIN_DB_PATH: join(dir, 'oauth', 'helpdesk.db'), FIN_OAUTH_CLIENTS: 'fin:fin-client-secret-0123', FIN_OAUTH_TOKEN_TTL: '120', FIN_SIGNING_SECRET: 'sig-old-0123456789abcdef,sig-new-0123456789abcdef'
  })
  t.match(helpdesk.output(), /OAuth: +http:\/\/127\.0\.0\.1:\d+\/api\/fin\/oauth\/token for fin/)
  const token = await fetch(`${helpdesk.base}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('fin:fin-client-secret-0123').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials'
  })
  t.equal(token.status, 200, 'the token endpoint needs no signature')
  const { access_token: accessToken, expires_in: expiresIn } = await token.json() as { access_token: string, expires_in: number }
  t.equal(expiresIn, 120)
  const unsigned = await fetch(`${helpdesk.base}/agents`, { headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(unsigned.status, 401, 'unsigned requests are refused')
  const signed = await fetch(`${helpdesk.base}/agents`, { headers: { authorization: `Bearer ${accessToken}`, ...signFinRequest({ secret: 'sig-new-0123456789abcdef' }) } })
  t.equal(signed.status, 200, 'a signed request with an OAuth token passes')
  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0)
})
