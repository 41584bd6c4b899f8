import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { configErrorLine } from '../../examples/helpdesk/config-errors.js'
import { refusingOrigin } from '../fixtures/refusing-server.js'
import { havePostgres, PG_URL, testPool } from '../fixtures/services.js'
import { startHelpdesk, tsLoader } from '../fixtures/spawn.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Starts examples/helpdesk/server.ts as `npm start` would; resolves with its exit code and output once it exits. */
function start (env: Record<string, string>, args: string[] = []): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [...tsLoader(), 'examples/helpdesk/server.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', FIN_DB_PATH: ':memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

t.test('a configuration mistake stops the example with one line on stderr and exit code 1, no stack trace', async (t) => {
  const [token, clients, duplicate] = await Promise.all([
    start({ FIN_API_TOKEN: 'x' }),
    start({ FIN_OAUTH_CLIENTS: 'fin-without-a-secret' }),
    start({ FIN_OAUTH_CLIENTS: 'fin:secret-0123456789abcdef,fin:secret-0123456789abcdef' })
  ])
  t.same(token, { code: 1, stdout: '', stderr: 'fin-helpdesk: FIN_API_TOKEN: tokens must have at least 16 characters each\n' })
  t.same(clients, { code: 1, stdout: '', stderr: 'fin-helpdesk: FIN_OAUTH_CLIENTS must be comma-separated client_id:client_secret pairs\n' })
  t.same(duplicate, { code: 1, stdout: '', stderr: 'fin-helpdesk: FIN_OAUTH_CLIENTS: oauth client fin is listed twice\n' })
})

t.test('what crashed with a stack (pino, proxy-addr, listen, pg) stops the start in one line, exit 1, no secret', async (t) => {
  const quiet = { LOG_LEVEL: 'warn' }
  const db = new URL(await refusingOrigin(t))
  const [level, proxy, host, postgres] = await Promise.all([
    start({ LOG_LEVEL: 'verbose' }),
    start({ TRUST_PROXY: 'maybe' }),
    start({ ...quiet, HOST: '999.1.1.1' }),
    start({ ...quiet, DATABASE_URL: `postgres://fin:s3cret-pass@127.0.0.1:${db.port}/helpdesk` }, ['--postgres'])
  ])
  t.same(level, { code: 1, stdout: '', stderr: 'fin-helpdesk: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"\n' })
  t.match(proxy, { code: 1, stdout: '', stderr: /^fin-helpdesk: TRUST_PROXY: "maybe" is not an IP address[^\n]+\n$/ })
  // ENOTFOUND, or EAI_AGAIN where the resolver asks a DNS server that cannot be reached: the same line either way.
  t.match(host, { code: 1, stdout: '', stderr: /^fin-helpdesk: HOST: cannot listen on 999\.1\.1\.1 port 0: not an address of this machine \(getaddrinfo E[A-Z_]+ 999\.1\.1\.1\)\n$/ })
  t.match(postgres, { code: 1, stdout: '', stderr: new RegExp(`^fin-helpdesk: DATABASE_URL: cannot use postgres://fin:\\*\\*\\*@127\\.0\\.0\\.1:${db.port}/helpdesk: [^\\n]+\\n$`) })
  t.notMatch(postgres.stderr, /s3cret/, 'no password')
})

t.test('REDIS_URL, FIN_DB_PATH and AGENT_PASSWORDS that crashed with a stack or echoed a secret: one line, exit 1, nothing of the secret', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fin-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'a-file')
  writeFileSync(file, '')
  const tokens = { FIN_API_TOKEN: 'fin-token-0123456789abcdef', CONSOLE_TOKEN: 'console-token-0123456789abcdef' }
  const [redis, port, path, empty, passwords] = await Promise.all([
    start({ ...tokens, REDIS_URL: 'redis://:se/cret@127.0.0.1:6379' }, ['--postgres']),
    start({ ...tokens, REDIS_URL: 'redis://127.0.0.1:notaport' }, ['--postgres']),
    start({ ...tokens, FIN_DB_PATH: join(file, 'x.db') }),
    start({ FIN_DB_PATH: '' }),
    start({ AGENT_PASSWORDS: 'sarah@helpdesk.example:horse-battery,Staple:correct99' })
  ])
  const redisLine = 'fin-helpdesk: REDIS_URL: must be a redis:// or rediss:// URL with a numeric port (percent-encode a password\'s "/", "?", "#" and "@")\n'
  t.same(redis, { code: 1, stdout: '', stderr: redisLine })
  t.same(port, { code: 1, stdout: '', stderr: redisLine })
  t.match(path, { code: 1, stdout: '', stderr: new RegExp(`^fin-helpdesk: FIN_DB_PATH: cannot use ${file}/x\\.db: ENOTDIR: [^\\n]+\\n$`) })
  t.same(empty, { code: 1, stdout: '', stderr: 'fin-helpdesk: FIN_DB_PATH: is empty; unset it for the default (./data/helpdesk.db), or give a path or :memory:\n' })
  t.same(passwords, { code: 1, stdout: '', stderr: 'fin-helpdesk: AGENT_PASSWORDS: entry 2 is not email:password (a password may not contain a comma)\n' })
})

t.test('start:postgres: what ioredis still throws on (readConfig checked the URL) is one line naming REDIS_URL, without its secrets', async (t) => {
  if (!await havePostgres(t)) return
  const { schema } = testPool(t)
  const config = readConfig({ DATABASE_URL: PG_URL, FIN_DB_SCHEMA: schema('redis_url'), FIN_API_TOKEN: 'fin-token-0123456789abcdef', CONSOLE_TOKEN: 'console-token-0123456789abcdef' }, 'postgres')
  const err = await buildHelpdesk({ ...config, redisUrl: 'redis://:se/cret@127.0.0.1:6379' }, false).then(() => undefined, (e: unknown) => e)
  t.equal(configErrorLine(err), 'fin-helpdesk: REDIS_URL: cannot use <unparseable URL>: Invalid URL')
})

t.test('PORT in use: one line, exit 1; the passwords generated at that start were never printed, so the next start generates them again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fin-listen-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => taken.close())
  const port = (taken.address() as { port: number }).port
  const env = { FIN_DB_PATH: join(dir, 'helpdesk.db'), LOG_LEVEL: 'warn' }
  t.same(await start({ ...env, PORT: String(port) }), {
    code: 1, stdout: '', stderr: `fin-helpdesk: PORT: cannot listen on 127.0.0.1 port ${port}: already in use (listen EADDRINUSE: address already in use 127.0.0.1:${port})\n`
  })
  const again = await startHelpdesk(t, env)
  t.match(again.output(), /sarah@helpdesk\.example {3}password: \S{20,} {3}\(generated once/, 'Sarah\'s password, printed now')
  t.match(again.output(), /omar@helpdesk\.example {3}password: \S{20,} {3}\(generated once/)
  again.child.kill('SIGTERM')
  t.equal(await again.exited, 0)
})

t.test('two npm start on one data folder and one PORT: the one that cannot listen writes no password, and the other\'s printed ones work', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fin-listen-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = { FIN_DB_PATH: join(dir, 'helpdesk.db'), LOG_LEVEL: 'warn' }
  const first = await startHelpdesk(t, env)
  const port = new URL(first.origin).port
  const printed = [...first.output().matchAll(/ {4}(\S+@helpdesk\.example) {3}password: (\S+) {3}\(generated once/g)].map((m) => ({ email: m[1]!, password: m[2]! }))
  t.equal(printed.length, 2, 'Sarah\'s and Omar\'s, printed by the one listening')
  const second = await start({ ...env, PORT: port })
  t.same(second, { code: 1, stdout: '', stderr: `fin-helpdesk: PORT: cannot listen on 127.0.0.1 port ${port}: already in use (listen EADDRINUSE: address already in use 127.0.0.1:${port})\n` })
  for (const who of printed) {
    const res = await fetch(`${first.origin}/inbox/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) })
    t.equal(res.status, 200, `${who.email}: the password its banner printed still works`)
  }
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0)
})
