import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { FakeFin } from '../fixtures/fake-fin.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-inbox-api-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const FIN = { authorization: 'Bearer fin-token' }
const CONSOLE = { authorization: 'Bearer console-token' }

function env (db: string, extra: Record<string, string> = {}): Record<string, string> {
  return { FIN_API_TOKEN: 'fin-token', CONSOLE_TOKEN: 'console-token', FIN_DB_PATH: join(dir, db), ...extra }
}

async function conversation (app: Awaited<ReturnType<typeof buildHelpdesk>>, title: string): Promise<string> {
  const user = (await app.inject({ method: 'POST', url: '/api/fin/user', headers: FIN, payload: { name: 'Jane', email: 'jane@example.com' } })).json()
  const created = await app.inject({ method: 'POST', url: '/api/fin/conversation', headers: FIN, payload: { user_id: user.id, title, initial_message: { body: '<p>Help</p>' } } })
  return created.json().conversation.id
}

t.test('the page and its assets are served by the app, the page with a strict CSP', async (t) => {
  const app = await buildHelpdesk(readConfig(env('assets.db')), false)
  t.teardown(() => app.close())
  const page = await app.inject({ url: '/inbox' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.headers['content-security-policy'], /default-src 'self'/)
  t.match(page.body, /<script type="module" src="\/inbox\/assets\/js\/inbox\.js">/)
  const favicon = await app.inject({ url: '/inbox/assets/favicon.svg' })
  t.equal(favicon.statusCode, 200)
  t.match(favicon.headers['content-type'], /^image\/svg\+xml/)
  t.equal((await app.inject({ url: '/favicon.ico' })).statusCode, 200)
  t.equal((await app.inject({ url: '/inbox/assets/inbox.css' })).statusCode, 200)
  t.equal((await app.inject({ url: '/inbox/assets/../index.ts' })).statusCode, 404, 'nothing outside public/')
})

t.test('sign-in lists the human agents by name only; the API wants the console token', async (t) => {
  const app = await buildHelpdesk(readConfig(env('auth.db')), false)
  t.teardown(() => app.close())
  t.same((await app.inject({ url: '/inbox/agents' })).json(), [{ id: 'agent_sarah', name: 'Sarah Johnson' }, { id: 'agent_omar', name: 'Omar Haddad' }])
  for (const url of ['/inbox/api/conversations', '/inbox/api/conversations/x', '/inbox/api/events']) {
    t.match((await app.inject({ url })).json(), { statusCode: 401, code: 'FIN_ERR_UNAUTHORIZED' }, `${url} without a token`)
    t.match((await app.inject({ url, headers: FIN })).json(), { statusCode: 401, code: 'FIN_ERR_UNAUTHORIZED' }, `${url} with Fin's token`)
  }
  t.match((await app.inject({ url: '/inbox/api/conversations/conv_missing', headers: CONSOLE })).json(), { statusCode: 404, code: 'FIN_ERR_CONVERSATION_NOT_FOUND' })
  // The console's guard: past 20 wrong tokens a minute from one IP, 429; the right token still passes.
  for (let i = 0; i < 14; i++) t.equal((await app.inject({ url: '/inbox/api/conversations', headers: { authorization: `Bearer guess-${i}` } })).statusCode, 401)
  const limited = await app.inject({ url: '/inbox/api/conversations', headers: { authorization: 'Bearer guess-last' } })
  t.match(limited.json(), { statusCode: 429, code: 'FIN_ERR_AUTH_RATE_LIMITED' }, 'the 21st wrong token')
  t.equal((await app.inject({ url: '/inbox/api/conversations', headers: CONSOLE })).statusCode, 200)
  const id = await conversation(app, 'No notify')
  t.same((await app.inject({ url: `/inbox/api/conversations/${id}`, headers: CONSOLE })).json().sync,
    { state: 'off', reason: 'FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY are not set', at: null }, 'without Fin notifications')
})

t.test('"Needs a human" survives a restart, and ends when someone is assigned', async (t) => {
  const config = readConfig(env('marks.db'))
  const needsHuman = async (app: Awaited<ReturnType<typeof buildHelpdesk>>): Promise<Record<string, boolean>> =>
    Object.fromEntries((await app.inject({ url: '/inbox/api/conversations', headers: CONSOLE })).json().map((c: { title: string, needs_human: boolean }) => [c.title, c.needs_human]))
  let app = await buildHelpdesk(config, false)
  const a = await conversation(app, 'A')
  const b = await conversation(app, 'B')
  await conversation(app, 'never assigned')
  for (const id of [a, b]) {
    await app.inject({ method: 'PUT', url: '/api/fin/conversation', headers: FIN, payload: { conversation_id: id, assignee_id: 'agent_fin' } })
    await app.inject({ method: 'PUT', url: '/api/fin/conversation', headers: FIN, payload: { conversation_id: id, assignee_id: null } })
  }
  t.same(await needsHuman(app), { 'never assigned': false, B: true, A: true })
  await app.close()

  app = await buildHelpdesk(config, false)
  t.teardown(() => app.close())
  t.same(await needsHuman(app), { 'never assigned': false, B: true, A: true }, 'after a restart')
  t.equal((await app.inject({ method: 'PATCH', url: `/console/conversations/${a}`, headers: CONSOLE, payload: { assignee_id: 'agent_omar' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'PATCH', url: `/console/conversations/${a}`, headers: CONSOLE, payload: { assignee_id: null } })).statusCode, 200)
  t.same(await needsHuman(app), { A: false, 'never assigned': false, B: true }, 'taken (then let go by a human): not Fin\'s handover any more')
  await app.inject({ method: 'PUT', url: '/api/fin/conversation', headers: FIN, payload: { conversation_id: b, status: 'resolved' } })
  t.same(await needsHuman(app), { B: false, A: false, 'never assigned': false }, 'resolved: not open')
})

t.test('a failure the outbox kept shows after a restart, with its reason', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 400, body: '{"error":"nope"}' })
  const config = readConfig(env('failed.db', { FIN_INTEGRATION_ID: 'int_1', FIN_WEBHOOK_KEY: 'k', FIN_BASE_URL: fin.url }))
  let app = await buildHelpdesk(config, false)
  const id = await conversation(app, 'Rejected')
  const failed = app.fin.events.once('notify.failed')
  await app.inject({ method: 'PATCH', url: `/console/conversations/${id}`, headers: CONSOLE, payload: { status: 'resolved' } })
  const { reason } = await failed
  t.match((await app.inject({ url: `/inbox/api/conversations/${id}`, headers: CONSOLE })).json().sync, { state: 'failed', reason })
  await app.close()
  app = await buildHelpdesk(config, false)
  t.teardown(() => app.close())
  t.match((await app.inject({ url: `/inbox/api/conversations/${id}`, headers: CONSOLE })).json().sync, { state: 'failed', reason, at: /^\d{4}-/ })
})

t.test('the event stream: one frame per change, ended when the app closes', async (t) => {
  const app = await buildHelpdesk(readConfig(env('events.db')), false)
  const origin = await app.listen({ host: '127.0.0.1', port: 0 })
  const response = await fetch(`${origin}/inbox/api/events`, { headers: CONSOLE })
  t.equal(response.status, 200)
  t.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8')
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = (await reader.read()).value ?? ''
  t.equal(text, ': open\n\n')
  const id = await conversation(app, 'Live')
  while (!text.includes('"kind":"message"')) text += (await reader.read()).value ?? ''
  t.equal(text, `: open\n\nevent: change\ndata: {"kind":"conversation","conversation_id":"${id}"}\n\nevent: change\ndata: {"kind":"message","conversation_id":"${id}"}\n\n`)
  await app.close()
  t.same(await reader.read(), { done: true, value: undefined }, 'close() does not wait for open streams')
})
