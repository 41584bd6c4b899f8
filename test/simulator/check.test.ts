import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { MemoryStorage, type FinHelpdeskOptions } from '../../lib/index.js'
import { type Message } from '../../lib/schemas/models.js'
import { type NewUser } from '../../lib/storage/types.js'
import { exitCode, FinClient, runConformance, type CheckReport } from '../../lib/simulator/index.js'
import { ManualClock } from '../fixtures/clock.js'
import { exampleHelpdesk } from '../fixtures/example-helpdesk.js'
import { VARIANTS, type Variant } from '../fixtures/client.js'

const failedErrors = (report: CheckReport): string[] => report.checks.filter((c) => c.status === 'failed' && c.severity === 'error').map((c) => c.id)

for (const variant of VARIANTS) {
  t.test(`${variant}: no check fails with an error on the example helpdesk`, async (t) => {
    const { base } = await exampleHelpdesk(t)
    const report = await runConformance({ baseUrl: base, token: 'tok-Example-0123456789abcdef', variant })
    t.same(failedErrors(report), [], JSON.stringify(report.checks.filter((c) => !c.ok)))
    t.ok(report.passed >= 45, `${report.passed} checks passed`)
    t.equal(report.failed, 0)
    t.equal(exitCode(report), 0)
  })
}

t.test('five runs in a row against the example app give the same report, its failed-authentication limit filled by the bad-token probes', async (t) => {
  // The example's own limits: 20 failed authentications a minute per IP (FIN_RATE_LIMIT 0 lifts only the per-client one).
  const { base } = await exampleHelpdesk(t)
  const reports: CheckReport[] = []
  for (let run = 0; run < 5; run++) reports.push(await runConformance({ baseUrl: base, token: 'tok-Example-0123456789abcdef' }))
  const outline = (report: CheckReport) => report.checks.map((c) => `${c.id} ${c.status} ${c.severity}`)
  for (let run = 1; run < 5; run++) t.same(outline(reports[run]!), outline(reports[0]!), `run ${run + 1} reports what run 1 did`)
  t.same(reports.map((report) => exitCode(report)), [0, 0, 0, 0, 0])
  // The limit was reached: the last run's probes were answered 429 with Retry-After, and that counts as refused.
  const probes = ['auth.no-token', 'auth.wrong-token', 'auth.token-prefix', 'auth.token-suffix', 'auth.token-case', 'auth.other-scheme']
  t.same(reports[0]!.checks.filter((c) => probes.includes(c.id)).map((c) => c.actual.slice(0, 8)), probes.map(() => 'HTTP 401'))
  t.same(reports[4]!.checks.filter((c) => probes.includes(c.id)).map((c) => [c.status, c.actual.slice(0, 8)]), probes.map(() => ['ok', 'HTTP 429']))
})

t.test('a signed helpdesk with OAuth is checked end to end: signatures, stale and tampered requests, token refresh', async (t) => {
  for (const variant of VARIANTS) {
    const { base } = await exampleHelpdesk(t, { FIN_SIGNING_SECRET: 'sign-0123456789-0123456789abcdef', FIN_OAUTH_CLIENTS: 'fin:fin-secret-0123456789' })
    const oauth = { tokenUrl: `${base}/oauth/token`, clientId: 'fin', clientSecret: 'fin-secret-0123456789' }
    const report = await runConformance({ baseUrl: base, oauth, signingSecret: 'sign-0123456789-0123456789abcdef', variant })
    t.same(failedErrors(report), [], `${variant}: ${JSON.stringify(report.checks.filter((c) => !c.ok))}`)
    for (const id of ['signature.unsigned', 'signature.stale', 'signature.tampered', 'oauth.token', 'oauth.refresh']) {
      t.match(report.checks.find((c) => c.id === id), { ok: true, severity: 'error' }, `${variant}: ${id} ran and passed`)
    }
    const unsignedClient = await runConformance({ baseUrl: base, oauth, variant })
    t.same(unsignedClient, { passed: 0, failed: 0, warnings: 0, notChecked: 0, stopped: { reason: 'refused', message: `${base}/${variant === 'posts-only' ? 'get_agents' : 'agents'} refuses the OAuth client credentials: HTTP 401, and its answer speaks of a signature: if it wants requests signed as Fin signs them, give --signing-secret` }, checks: [] }, 'without the secret, Fin\'s calls are refused: nothing checked, and the line says why')
    t.equal(exitCode(unsignedClient), 2)
  }
})

/** A helpdesk on the plugin with one thing broken, for the checker to catch. */
async function broken (t: Test, variant: Variant, options: Partial<FinHelpdeskOptions>, hack?: (app: FastifyInstance) => void): Promise<string> {
  const storage = options.storage ?? new MemoryStorage()
  await storage.upsertAgent({ id: 'agent_fin', name: 'Fin', email: 'fin@example.com' })
  const app = Fastify()
  t.teardown(() => app.close())
  hack?.(app)
  await app.register(finHelpdesk, { prefix: '/api/fin', tokens: ['tok-Example-0123456789abcdef'], rateLimit: false, authFailureLimit: false, variant, ...options, storage })
  return `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/fin`
}

const onSendReplace = (app: FastifyInstance, when: (url: string, status: number) => boolean, replace: (payload: string) => string) => {
  app.addHook('onSend', async (request, reply, payload) => (typeof payload === 'string' && when(request.url, reply.statusCode) ? replace(payload) : payload))
}

const cases: Array<{ name: string, variant: Variant, expect: string, warning?: boolean, options?: Partial<FinHelpdeskOptions>, hack?: (app: FastifyInstance) => void }> = [
  {
    name: 'a wrong field name',
    variant: 'standard',
    expect: 'message.create',
    hack: (app) => onSendReplace(app, (url) => url.includes('/messages'), (p) => p.replaceAll('"conversation_id"', '"conversationId"'))
  },
  {
    name: 'a missing required field',
    variant: 'posts-only',
    expect: 'user.create',
    hack: (app) => onSendReplace(app, (url) => url.endsWith('/create_user'), (p) => p.replace('"user_type":"end_user",', ''))
  },
  {
    name: 'no idempotency',
    variant: 'standard',
    expect: 'user.idempotent',
    options: { storage: new (class extends MemoryStorage { override createUser (user: NewUser) { return super.createUser({ ...user, object_id: undefined }) } })() }
  },
  {
    name: 'after_id handled wrongly',
    variant: 'posts-only',
    expect: 'messages.after-id',
    options: { storage: new (class extends MemoryStorage { override async listMessages (id: string, afterId?: string): Promise<Message[] | null> { const all = await super.listMessages(id); return afterId === undefined ? all : (all ?? []).slice(0, 1) } })() }
  },
  {
    name: 'a 500 on bad input',
    variant: 'standard',
    expect: 'bad-input.wrong-types',
    hack: (app) => app.addHook('preValidation', async (request) => {
      if (typeof (request.body as { conversation_id?: unknown } | undefined)?.conversation_id === 'number') throw new Error('unexpected input')
    })
  },
  {
    name: 'a wrong error shape (the reference documents none: a warning)',
    variant: 'posts-only',
    expect: 'errors.problem',
    warning: true,
    hack: (app) => onSendReplace(app, (url, status) => url.endsWith('/get_user') && status === 404, () => '{"message":"no such user"}')
  },
  {
    name: 'no auth',
    variant: 'standard',
    expect: 'auth.wrong-token',
    options: { tokens: undefined, verifyToken: () => true },
    hack: (app) => app.addHook('onRequest', async (request) => { if (request.headers.authorization === undefined) request.headers.authorization = 'Bearer anything' })
  }
]

for (const c of cases) {
  t.test(`the checker fails, naming the check, on a helpdesk with ${c.name}`, async (t) => {
    const base = await broken(t, c.variant, c.options ?? {}, c.hack)
    const report = await runConformance({ baseUrl: base, token: 'tok-Example-0123456789abcdef', variant: c.variant })
    const failed = report.checks.filter((check) => check.status === 'failed' && check.severity === (c.warning === true ? 'warning' : 'error')).map((check) => check.id)
    t.ok(failed.includes(c.expect), `failed: ${JSON.stringify(failed)}`)
    t.equal(exitCode(report, c.warning), 1)
  })
}

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

t.test('oauth.refresh fails when a token the helpdesk never issued is taken without a 401', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  let issued: string | undefined
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.endsWith('/oauth/token') && typeof payload === 'string') issued = (JSON.parse(payload) as { access_token?: string }).access_token
    return payload
  })
  // The broken rule: any bearer token passes as the last one issued.
  app.addHook('onRequest', async (request) => {
    if (issued !== undefined && request.headers.authorization?.startsWith('Bearer fin-helpdesk-check-revoked-') === true) request.headers.authorization = `Bearer ${issued}`
  })
  await app.register(finHelpdesk, { prefix: '/api/fin', oauth: { clients: [{ id: 'fin', secret: 'fin-secret-0123456789' }] }, rateLimit: false })
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/fin`
  const report = await runConformance({ baseUrl: base, oauth: { tokenUrl: `${base}/oauth/token`, clientId: 'fin', clientSecret: 'fin-secret-0123456789' } })
  t.match(report.checks.find((c) => c.id === 'oauth.token'), { ok: true })
  t.match(report.checks.find((c) => c.id === 'oauth.refresh'), { ok: false, severity: 'error', actual: /^0 token\(s\) fetched, then HTTP 200/ })
  t.equal(exitCode(report), 1)
})

t.test('the sanitizing probe refused with a 4xx is as good as cleaned; a 5xx on it is an error', async (t) => {
  for (const [status, expected] of [[400, { status: 'ok', actual: 'refused: HTTP 400' }], [500, { status: 'failed', severity: 'error', actual: /^HTTP 500: / }]] as const) {
    const base = await broken(t, 'standard', {}, (app) => app.addHook('preValidation', async (request, reply) => {
      if (JSON.stringify(request.body ?? '').includes('<script')) return reply.code(status).send({ statusCode: status, code: 'REFUSED', error: 'Refused', message: 'markup refused' })
    }))
    const report = await runConformance({ baseUrl: base, token: 'tok-Example-0123456789abcdef' })
    for (const id of ['sanitize.script', 'sanitize.event-attributes', 'sanitize.javascript-urls', 'sanitize.headings']) t.match(report.checks.find((c) => c.id === id), expected, `${status}: ${id}`)
  }
})
