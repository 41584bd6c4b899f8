import { createServer as createHttpServer } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { MemoryStorage } from '../../lib/index.js'
import { exitCode, runConformance } from '../../lib/simulator/index.js'

// Before any check, one call as Fin's first: what makes the whole run pointless stops it in one line.

async function gone (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

async function answering (t: Test, status: number, headers: Record<string, string>): Promise<string> {
  const server = createHttpServer((_req, res) => { res.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{}') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('an unreachable token endpoint stops the run before the helpdesk is asked', async (t) => {
  const url = await gone()
  const report = await runConformance({ baseUrl: `${url}/api/fin`, oauth: { tokenUrl: `${url}/oauth/token`, clientId: 'fin', clientSecret: 's' } })
  t.same(report, { passed: 0, failed: 0, warnings: 0, notChecked: 0, stopped: { reason: 'unreachable', message: `cannot reach the token endpoint: connect ECONNREFUSED ${new URL(url).host}` }, checks: [] })
  t.equal(exitCode(report), 2)
})

t.test('a name that resolves to several addresses, all refusing: the first refusal is the line', async (t) => {
  const url = (await gone()).replace('127.0.0.1', 'localhost')
  const report = await runConformance({ baseUrl: url, token: 't' })
  t.match(report.stopped, { reason: 'unreachable', message: new RegExp(`^cannot reach ${url}/agents: connect ECONNREFUSED \\S+:${new URL(url).port}$`) })
})

t.test('a 429 with Retry-After on the first call stops the run (try later); one without it does not', async (t) => {
  const limited = await answering(t, 429, { 'retry-after': '42' })
  const report = await runConformance({ baseUrl: limited, token: 't', variant: 'posts-only' })
  t.same(report.stopped, { reason: 'refused', message: `${limited}/get_agents answers 429 (too many requests or failed authentications from here): try again in 42 seconds` })
  t.same(report.checks, [])
  const bare = await answering(t, 429, {})
  const ran = await runConformance({ baseUrl: bare, token: 't' })
  t.equal(ran.stopped, undefined)
  t.match(ran.checks[0], { id: 'agents.list', status: 'failed', actual: 'HTTP 429: {}' })
})

t.test('oauth.refresh behind a filled failed-authentication limit (429, Retry-After) is not checked, never failed', async (t) => {
  const storage = new MemoryStorage()
  await storage.upsertAgent({ id: 'agent_fin', name: 'Fin', email: 'fin@example.com' })
  const app = Fastify()
  t.teardown(() => app.close())
  // One failed authentication a minute: the first run's probes fill it, so the second run's revoked token meets a 429.
  await app.register(finHelpdesk, { prefix: '/api/fin', storage, oauth: { clients: [{ id: 'fin', secret: 'fin-secret-0123456789' }] }, rateLimit: false, authFailureLimit: { max: 1, timeWindow: 60_000 } })
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/fin`
  const oauth = { tokenUrl: `${base}/oauth/token`, clientId: 'fin', clientSecret: 'fin-secret-0123456789' }
  const first = await runConformance({ baseUrl: base, oauth })
  t.match(first.checks.find((c) => c.id === 'oauth.refresh'), { status: 'ok' })
  const second = await runConformance({ baseUrl: base, oauth })
  t.match(second.checks.find((c) => c.id === 'oauth.refresh'), { status: 'not checked', severity: 'error', actual: /^the helpdesk limits failed authentications from here \(HTTP 429, Retry-After \d+\): run again later$/ })
  t.same([exitCode(first), exitCode(second)], [0, 0])
})

t.test('a helpdesk that goes away after the first call: each check fails with the connection error, none throws', async (t) => {
  let served = 0
  const server = createHttpServer((req, res) => {
    if (served++ === 0) return res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":"a1","user_type":"agent"}]')
    req.socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const report = await runConformance({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' })
  t.equal(report.stopped, undefined, 'the first call was answered')
  t.match(report.checks[0], { id: 'agents.list', status: 'failed', severity: 'error', sent: '-', expected: 'a completed exchange', actual: 'error: other side closed' })
  t.equal(exitCode(report), 1)
})
