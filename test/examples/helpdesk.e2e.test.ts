import { execFile } from 'node:child_process'
import { createServer, type Socket } from 'node:net'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { signFinRequest } from '../../lib/simulator/index.js'
import { SqliteStorage } from '../../lib/sqlite/index.js'
import { havePostgres, PG_URL, testPool } from '../fixtures/services.js'
import { BUILT_SERVER, startHelpdesk } from '../fixtures/spawn.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'fin-example-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** The README's curl walkthrough, between its markers, exactly as written. */
function walkthrough (): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = /<!-- walkthrough:start -->([\s\S]*?)<!-- walkthrough:end -->/.exec(readme)
  if (section === null) throw new Error('README has no walkthrough section')
  return [...section[1]!.matchAll(/```sh\n([\s\S]*?)```/g)].map((block) => block[1]).join('\n')
}

t.test('started as a child process: healthz, tokens from env, seeding once', async (t) => {
  const path = join(dir, 'env-tokens', 'helpdesk.db')
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

  t.notOk(existsSync(join(dir, 'env-tokens', 'fin-api-token')), 'a token from the environment is never written')

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

t.test('npm start as it runs: node dist/examples/helpdesk/server.js (the tsc build, no TypeScript loader) starts, serves the printed token, and stops on SIGTERM', async (t) => {
  const built = join(ROOT, BUILT_SERVER)
  t.ok(existsSync(built), `${BUILT_SERVER} exists: npm run build (test:e2e runs it first)`)
  if (!existsSync(built)) return
  // Generated tokens, as at a newcomer's first start, whatever this shell exports.
  const helpdesk = await startHelpdesk(t, { FIN_DB_PATH: join(dir, 'built', 'helpdesk.db'), FIN_API_TOKEN: '', CONSOLE_TOKEN: '' }, [], { built: true })
  t.same(helpdesk.child.spawnargs.slice(1), [BUILT_SERVER], 'plain node, the built file')
  t.match(helpdesk.output(), /Bearer token: \S{32,} {3}\(generated, kept in /)
  t.match(helpdesk.output(), /sarah@helpdesk\.example {3}password: \S{20,} {3}\(generated once/, 'the inbox, from the build')
  const res = await fetch(`${helpdesk.base}/agents`, { headers: { authorization: `Bearer ${helpdesk.token}` } })
  t.equal(res.status, 200, 'the printed token works')
  t.same((await res.json() as Array<{ id: string }>).map((a) => a.id), ['agent_fin', 'agent_sarah', 'agent_omar'])
  t.equal((await fetch(`${helpdesk.origin}/inbox`)).status, 200, 'the inbox page is served from the sources\' public folder')
  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0, 'a graceful exit')
})

/** The environment of a newcomer's second terminal: no token variables unless given. */
function shell (env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { FIN_API_TOKEN: _fin, CONSOLE_TOKEN: _console, ...rest } = process.env
  return { ...rest, ...env }
}

t.test('the README walkthrough, as written, in bash: the URL and the generated tokens\' files from the banner, up to the handover and an agent\'s reply', async (t) => {
  // The newcomer's folder: `npm start | tee helpdesk.log` there, with FIN_DB_PATH elsewhere than data/ (the tokens
  // beside it): the walkthrough reads them from where the banner says they are.
  const work = join(dir, 'newcomer')
  const helpdesk = await startHelpdesk(t, { FIN_DB_PATH: join(dir, 'elsewhere', 'helpdesk.db') })
  mkdirSync(work)
  writeFileSync(join(work, 'helpdesk.log'), helpdesk.output())
  t.notOk(existsSync(join(work, 'data')), 'no data/ where the walkthrough runs')
  const { stdout, stderr } = await run('bash', ['-c', walkthrough()], { cwd: work, env: shell() })
  t.equal(stderr, '', 'nothing went wrong')
  const lines = stdout.trim().split('\n')
  t.equal(lines.at(-3), 'nobody assigned', 'step 5: the handover leaves nobody assigned')
  const reply = lines.at(-2)!
  t.match(reply, /^\S+$/, 'step 6: the id of the agent\'s reply')
  t.match(JSON.parse(lines.at(-1)!), [{ id: reply, author: { id: 'agent_sarah', user_type: 'agent' }, body: '<p>Hi Jane, Sarah here: Pro is $20 a month, billed yearly.</p>' }], 'step 7: Fin reads only the agent\'s reply')
  t.equal(JSON.parse(lines.at(-1)!).length, 1)

  const wrong = await run('bash', ['-c', walkthrough()], { cwd: work, env: shell({ FIN_API_TOKEN: 'not-the-printed-one' }) }).then(() => undefined, (err: { code: number, stdout: string, stderr: string }) => err)
  t.ok(wrong, 'a wrong token stops the walkthrough with an error exit')
  t.equal(wrong?.stderr, 'got 401: is FIN_API_TOKEN the one the server printed?\n', 'one line that says why, no stack trace')
  t.equal(wrong?.stdout, '')

  // Tokens set for npm start are not printed, nor kept: without them in this shell, one line says what to do.
  const unkept = join(dir, 'tokens-from-env')
  mkdirSync(unkept)
  writeFileSync(join(unkept, 'helpdesk.log'), helpdesk.output().replace(/Bearer token: .*\n/, 'Bearer token: from FIN_API_TOKEN (not printed)\n'))
  const missing = await run('bash', ['-c', walkthrough()], { cwd: unkept, env: shell() }).then(() => undefined, (err: { stdout: string, stderr: string }) => err)
  t.equal(missing?.stderr, 'helpdesk.log names no fin-api-token file: export FIN_API_TOKEN here, as you set it for npm start\n')
  t.equal(missing?.stdout, '')
  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0)
})

t.test('a generated token survives a restart: kept beside the database (mode 0600), printed the same', async (t) => {
  const data = join(dir, 'restart', 'data')
  const first = await startHelpdesk(t, { FIN_DB_PATH: join(data, 'helpdesk.db') })
  t.match(first.output(), new RegExp(`Bearer token: ${first.token} {3}\\(generated, kept in ${data}/fin-api-token: set FIN_API_TOKEN to choose your own\\)`))
  const consoleToken = /Console: .* token: (\S+) {3}\(generated, kept in \S+console-token: set CONSOLE_TOKEN to choose your own\)/.exec(first.output())?.[1]
  t.ok(consoleToken, 'the console token is printed with where it is kept')
  t.equal(readFileSync(join(data, 'fin-api-token'), 'utf8'), `${first.token}\n`)
  t.equal(statSync(join(data, 'fin-api-token')).mode & 0o777, 0o600)
  t.equal(statSync(join(data, 'console-token')).mode & 0o777, 0o600)
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0)

  const second = await startHelpdesk(t, { FIN_DB_PATH: join(data, 'helpdesk.db') })
  t.equal(second.token, first.token, 'the same Fin token after the restart')
  t.match(second.output(), `token: ${consoleToken!}   (generated, kept in`)
  t.equal((await fetch(`${second.base}/agents`, { headers: { authorization: `Bearer ${first.token}` } })).status, 200, 'what Fin was given still works')
  t.equal((await fetch(`${second.origin}/console/conversations`, { headers: { authorization: `Bearer ${consoleToken!}` } })).status, 200)
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
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
  t.match(helpdesk.output(), /Try it \(signed with the first FIN_SIGNING_SECRET, in the shell where it is set\):\n {4}ts=\$\(date \+%s\); curl /)
  const printed = /ts=\$\(date[^\n]+/.exec(helpdesk.output())![0]
  const { stdout: agents } = await run('sh', ['-c', printed], { env: { ...process.env, FIN_SIGNING_SECRET: 'sig-old-0123456789abcdef,sig-new-0123456789abcdef' } })
  t.same(JSON.parse(agents).map((a: { id: string }) => a.id), ['agent_fin', 'agent_sarah', 'agent_omar'], 'the printed curl signs, and works as printed')
  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0)
})

t.test('start:postgres with Redis unreachable: the banner says the limit fails open; Redis errors are JSON log lines, once each, no password', async (t) => {
  if (!await havePostgres(t)) return
  const { schema } = testPool(t)
  // A "Redis" that resets every connection: ioredis emits an error at each of its retries.
  const sockets = new Set<Socket>()
  const redis = createServer((socket) => { sockets.add(socket); socket.on('error', () => {}); socket.resetAndDestroy() })
  await new Promise<void>((resolve) => redis.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { for (const socket of sockets) socket.destroy(); redis.close(() => resolve()) }))
  const port = (redis.address() as { port: number }).port
  const env = { DATABASE_URL: PG_URL, FIN_DB_SCHEMA: schema('redis_down'), REDIS_URL: `redis://:redis-pass-0123@127.0.0.1:${port}` }
  const helpdesk = await startHelpdesk(t, { ...env, FIN_API_TOKEN: 'fin-token-0123456789abcdef', CONSOLE_TOKEN: 'console-0123456789abcdef' }, ['--postgres'])
  t.match(helpdesk.output(), `rate limit in redis://:***@127.0.0.1:${port} (shared by the instances; it fails open, unlimited, while Redis is unreachable)`)
  t.equal((await fetch(`${helpdesk.base}/agents`, { headers: { authorization: 'Bearer fin-token-0123456789abcdef' } })).status, 200, 'served, unlimited')
  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0)
  const output = helpdesk.output()
  t.notMatch(output, /\[ioredis\]/, 'no "[ioredis] Unhandled error event"')
  t.notMatch(output, /redis-pass-0123/, 'no password')
  const warnings = output.split('\n').filter((line) => line.startsWith('{') && line.includes('Redis unreachable')).map((line) => JSON.parse(line) as { error: string })
  t.ok(warnings.length >= 1, 'logged')
  t.equal(new Set(warnings.map((w) => w.error)).size, warnings.length, `each distinct error once, though ioredis retried all along: ${warnings.map((w) => w.error).join('; ')}`)
})
