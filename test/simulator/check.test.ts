import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import finHelpdesk, { MemoryStorage, type FinHelpdeskPluginOptions, type Message, type NewUser } from '../../lib/index.js'
import { FinClient, runConformance, type CheckReport } from '../../lib/simulator/index.js'
import { ManualClock } from '../fixtures/clock.js'
import { VARIANTS, type Variant } from '../fixtures/client.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'fin-check-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

async function exampleHelpdesk (t: Test, env: Record<string, string> = {}): Promise<{ app: FastifyInstance, base: string, origin: string }> {
  const app = await buildHelpdesk(readConfig({ FIN_API_TOKEN: 'tok', CONSOLE_TOKEN: 'console', FIN_RATE_LIMIT: '0', FIN_DB_PATH: join(dir, `h${++n}.db`), ...env }), false)
  t.teardown(() => app.close())
  const origin = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, base: `${origin}/api/fin`, origin }
}

const failedNames = (report: CheckReport): string[] => report.checks.filter((c) => !c.ok).map((c) => c.name)

for (const variant of VARIANTS) {
  t.test(`${variant}: every check passes on the example helpdesk`, async (t) => {
    const { base } = await exampleHelpdesk(t)
    const report = await runConformance({ baseUrl: base, token: 'tok', variant })
    t.same(failedNames(report), [], JSON.stringify(report.checks.filter((c) => !c.ok)))
    t.ok(report.passed >= 25, `${report.passed} checks passed`)
    t.equal(report.failed, 0)
  })
}

/** A helpdesk on the plugin with one thing broken, for the checker to catch. */
async function broken (t: Test, variant: Variant, options: Partial<FinHelpdeskPluginOptions>, hack?: (app: FastifyInstance) => void): Promise<string> {
  const storage = options.storage ?? new MemoryStorage()
  await storage.upsertAgent({ id: 'agent_fin', name: 'Fin', email: 'fin@example.com' })
  const app = Fastify()
  t.teardown(() => app.close())
  hack?.(app)
  await app.register(finHelpdesk, { prefix: '/api/fin', tokens: ['tok'], rateLimit: false, authFailureLimit: false, variant, ...options, storage })
  return `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/fin`
}

const onSendReplace = (app: FastifyInstance, when: (url: string, status: number) => boolean, replace: (payload: string) => string) => {
  app.addHook('onSend', async (request, reply, payload) => (typeof payload === 'string' && when(request.url, reply.statusCode) ? replace(payload) : payload))
}

const cases: Array<{ name: string, variant: Variant, expect: RegExp, options?: Partial<FinHelpdeskPluginOptions>, hack?: (app: FastifyInstance) => void }> = [
  {
    name: 'a wrong field name',
    variant: 'standard',
    expect: /^get_messages: oldest first/,
    hack: (app) => onSendReplace(app, (url) => url.includes('/messages'), (p) => p.replaceAll('"conversation_id"', '"conversationId"'))
  },
  {
    name: 'a missing required field',
    variant: 'posts-only',
    expect: /^create_user: the new end-user/,
    hack: (app) => onSendReplace(app, (url) => url.endsWith('/create_user'), (p) => p.replace('"user_type":"end_user",', ''))
  },
  {
    name: 'no idempotency',
    variant: 'standard',
    expect: /^create_user: idempotent/,
    options: { storage: new (class extends MemoryStorage { override createUser (user: NewUser) { return super.createUser({ ...user, object_id: undefined }) } })() }
  },
  {
    name: 'after_id handled wrongly',
    variant: 'posts-only',
    expect: /^get_messages: after_id/,
    options: { storage: new (class extends MemoryStorage { override async listMessages (id: string, afterId?: string): Promise<Message[] | null> { const all = await super.listMessages(id); return afterId === undefined ? all : (all ?? []).slice(0, 1) } })() }
  },
  {
    name: 'a 500 on bad input',
    variant: 'standard',
    expect: /^bad input never gets a 5xx: wrong types/,
    hack: (app) => app.addHook('preValidation', async (request) => {
      if (typeof (request.body as { conversation_id?: unknown } | undefined)?.conversation_id === 'number') throw new Error('unexpected input')
    })
  },
  {
    name: 'a wrong error shape',
    variant: 'posts-only',
    expect: /^errors: an unknown user is a 4xx/,
    hack: (app) => onSendReplace(app, (url, status) => url.endsWith('/get_user') && status === 404, () => '{"message":"no such user"}')
  },
  {
    name: 'no auth',
    variant: 'standard',
    expect: /^auth: a wrong token is refused/,
    options: { tokens: undefined, verifyToken: () => true },
    hack: (app) => app.addHook('onRequest', async (request) => { if (request.headers.authorization === undefined) request.headers.authorization = 'Bearer anything' })
  }
]

for (const c of cases) {
  t.test(`the checker fails, naming the check, on a helpdesk with ${c.name}`, async (t) => {
    const base = await broken(t, c.variant, c.options ?? {}, c.hack)
    const report = await runConformance({ baseUrl: base, token: 'tok', variant: c.variant })
    const failed = failedNames(report)
    t.ok(failed.some((name) => c.expect.test(name)), `failed: ${JSON.stringify(failed)}`)
    t.ok(report.failed > 0)
  })
}

function cli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const loader = process.execArgv.filter((arg) => arg.includes('@tapjs/typescript'))
  const child = spawn(process.execPath, [...loader, 'lib/bin/check.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })))
}

t.test('the CLI: one line per check, a summary, exit codes, --json and --paths', async (t) => {
  const { base } = await exampleHelpdesk(t)
  const ok = await cli(['--url', base, '--token', 'tok'])
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /^ok {6}get_agents: agents with their fields$/m)
  t.match(ok.stdout, /^\d+ passed, 0 failed$/m)
  const json = await cli(['--url', base, '--token', 'tok', '--variant', 'posts-only', '--json'])
  t.equal(json.code, 0)
  const report = JSON.parse(json.stdout) as CheckReport
  t.match(report, { passed: Number, failed: 0, checks: Array })
  t.match(report.checks[0], { name: String, ok: true, expected: String, actual: String })
  const wrong = await cli(['--url', base, '--token', 'wrong'])
  t.equal(wrong.code, 1, 'failures exit 1')
  t.match(wrong.stdout, /^FAILED {2}get_agents: agents with their fields\n {8}expected: HTTP 200\n {8}actual: {3}HTTP 401/m)
  const pathsFile = join(dir, 'paths.json')
  writeFileSync(pathsFile, JSON.stringify({ getAgents: '/staff' }))
  const renamed = await cli(['--url', base, '--token', 'tok', '--paths', pathsFile, '--json'])
  t.match(JSON.parse(renamed.stdout).checks[0], { name: 'get_agents: agents with their fields', ok: false, actual: /HTTP 404/ }, '--paths is used')
  const bad = await cli(['--token', 'tok'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--url is required/)
})

t.test('the CLI waits for the helpdesk\'s sync webhook with --webhook-port and checks it', async (t) => {
  const probe = Fastify()
  await probe.listen({ host: '127.0.0.1', port: 0 })
  const port = (probe.server.address() as { port: number }).port
  await probe.close()
  const { base, origin } = await exampleHelpdesk(t, { FIN_INTEGRATION_ID: 'int_cli', FIN_WEBHOOK_KEY: 'cli-key', FIN_BASE_URL: `http://127.0.0.1:${port}` })
  const run = cli(['--url', base, '--token', 'tok', '--webhook-port', String(port), '--integration-id', 'int_cli', '--webhook-key', 'cli-key', '--webhook-timeout', '60'])
  // Play the agent the CLI asks for: reply in the conversation it created, once it waits.
  const deadline = Date.now() + 60_000
  let conversationId: string | undefined
  while (conversationId === undefined && Date.now() < deadline) {
    const list = await (await fetch(`${origin}/console/conversations`, { headers: { authorization: 'Bearer console' } })).json() as Array<{ id: string, title?: string }>
    conversationId = list.find((c) => c.title?.includes('[fin-helpdesk-check]'))?.id
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await fetch(`${origin}/console/conversations/${conversationId}/messages`, { method: 'POST', headers: { authorization: 'Bearer console', 'content-type': 'application/json' }, body: JSON.stringify({ author_id: 'agent_sarah', body: 'A human here.' }) })
  const result = await run
  t.equal(result.code, 0, result.stdout.split('\n').filter((l) => l.startsWith('FAILED') || l.startsWith('   ')).join('\n'))
  t.match(result.stdout, /^ok {6}webhook: path with the integration id$/m)
  t.match(result.stdout, /^ok {6}webhook: X-Webhook-Key$/m)
  t.match(result.stdout, /^ok {6}webhook: \{ conversation_id \} of the changed conversation$/m)
})

t.test('the simulator fetches OAuth tokens and, on a 401, a new one and retries once, as Fin does', async (t) => {
  const clock = new ManualClock()
  let tokensIssued = 0
  const app = Fastify()
  t.teardown(() => app.close())
  app.addHook('onResponse', async (request) => { if (request.url.endsWith('/oauth/token')) tokensIssued++ })
  await app.register(finHelpdesk, { prefix: '/api/fin', oauth: { clients: [{ id: 'fin', secret: 'fin-secret-0123456789' }], tokenTtl: 60, now: () => clock.now() } })
  const origin = await app.listen({ host: '127.0.0.1', port: 0 })
  const client = new FinClient({ baseUrl: `${origin}/api/fin`, oauth: { tokenUrl: `${origin}/api/fin/oauth/token`, clientId: 'fin', clientSecret: 'fin-secret-0123456789' } })
  t.equal((await client.call('getAgents')).status, 200)
  t.equal(tokensIssued, 1)
  t.equal((await client.call('getAgents')).status, 200)
  t.equal(tokensIssued, 1, 'the token is reused while valid')
  await clock.advance(61_000)
  t.equal((await client.call('getAgents')).status, 200, 'expired: 401, new token, retry, success')
  t.equal(tokensIssued, 2)
})
