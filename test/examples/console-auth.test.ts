import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { consoleAuth } from '../../examples/helpdesk/console-auth.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-console-auth-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('the console limits failed logins per IP; the valid token still passes', async (t) => {
  const app = await buildHelpdesk(readConfig({ FIN_API_TOKEN: 'fin-token-0123456789abcdef', CONSOLE_TOKEN: 'console-token-0123456789abcdef', FIN_DB_PATH: join(dir, 'login.db') }), false)
  t.teardown(() => app.close())
  const list = (token: string, remoteAddress = '198.51.100.9') => app.inject({ url: '/console/conversations', remoteAddress, headers: { authorization: `Bearer ${token}` } })
  const statuses: number[] = []
  for (let i = 0; i < 30; i++) statuses.push((await list(`guess-${i}`)).statusCode)
  t.same(statuses, [...Array(20).fill(401), ...Array(10).fill(429)], '20 wrong tokens a minute are 401, then 429')
  const limited = await list('guess-30')
  t.match(limited.json(), { statusCode: 429, code: 'FIN_ERR_AUTH_RATE_LIMITED' })
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
  t.equal((await list('console-token-0123456789abcdef')).statusCode, 200, 'the valid token from the same IP passes')
  t.equal((await app.inject({ url: '/console/conversations', headers: { authorization: 'BEARER console-token-0123456789abcdef' } })).statusCode, 200, 'scheme case-insensitive')
  t.equal((await list('guess-x', '198.51.100.10')).statusCode, 401, 'another IP has its own count')
})

t.test('the console rate limits valid requests, logged at warn', async (t) => {
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(line) } } } })
  t.teardown(() => app.close())
  await app.register(async (scope) => {
    await consoleAuth(scope, { token: 'console-token-0123456789abcdef', max: 2 })
    scope.get('/ping', async () => ({ ok: true }))
  })
  const ping = () => app.inject({ url: '/ping', headers: { authorization: 'Bearer console-token-0123456789abcdef' } })
  t.equal((await ping()).statusCode, 200)
  t.equal((await ping()).statusCode, 200)
  const limited = await ping()
  t.equal(limited.statusCode, 429)
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.equal(lines.length, 1)
  t.match(JSON.parse(lines[0]!), { level: 40, limit: 'console', msg: 'console: rate limited (429)' })
  t.notMatch(lines[0]!, /console-token/)
})
