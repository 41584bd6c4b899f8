import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import type { SqliteStorage } from '../../lib/sqlite/index.js'
import { until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-console-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const FIN = { authorization: 'Bearer fin-token-0123456789abcdef' }
const CONSOLE = { authorization: 'Bearer console-token-0123456789abcdef' }

t.test('the console drives the right webhooks, end to end', async (t) => {
  const fin = await FakeFin.start(t)
  const config = readConfig({
    FIN_API_TOKEN: 'fin-token-0123456789abcdef',
    CONSOLE_TOKEN: 'console-token-0123456789abcdef',
    FIN_DB_PATH: join(dir, 'e2e.db'),
    FIN_INTEGRATION_ID: 'int_123',
    FIN_WEBHOOK_KEY: 'hook-key',
    FIN_BASE_URL: fin.url
  })
  const app = await buildHelpdesk(config, false)
  t.teardown(() => app.close())

  // Fin starts a conversation.
  const user = (await app.inject({ method: 'POST', url: '/api/fin/user', headers: FIN, payload: { name: 'Jane', email: 'jane@example.com' } })).json()
  const { conversation } = (await app.inject({ method: 'POST', url: '/api/fin/conversation', headers: FIN, payload: { user_id: user.id, initial_message: { body: '<p>Help</p>' } } })).json()
  const id = conversation.id as string

  t.test('separate credentials', async (t) => {
    t.equal((await app.inject({ url: '/console/conversations' })).statusCode, 401)
    const withFinToken = await app.inject({ url: '/console/conversations', headers: FIN })
    t.match(withFinToken.json(), { statusCode: 401, code: 'FIN_ERR_UNAUTHORIZED' }, 'Fin\'s token is not a console token')
    t.equal(withFinToken.headers['www-authenticate'], 'Bearer error="invalid_token"')
    t.equal((await app.inject({ url: '/api/fin/agents', headers: CONSOLE })).statusCode, 401, 'and the console token is not Fin\'s')
  })

  const listed = await app.inject({ url: '/console/conversations', headers: CONSOLE })
  t.match(listed.json(), [{ id, user: { id: user.id } }])

  const reply = await app.inject({
    method: 'POST',
    url: `/console/conversations/${id}/messages`,
    headers: CONSOLE,
    payload: { author_id: 'agent_sarah', body: '<p>Hi Jane, I can help.</p><script>x()</script>' }
  })
  t.equal(reply.statusCode, 201)
  t.match(reply.json(), { conversation_id: id, body: '<p>Hi Jane, I can help.</p>', visibility: 'public', author: { id: 'agent_sarah', user_type: 'agent', name: 'Sarah Johnson' } })
  const [sync] = await fin.waitFor(1)
  t.match(sync, { path: '/custom_helpdesk_conversation_event/int_123', headers: { 'x-webhook-key': 'hook-key' }, body: { conversation_id: id } })
  t.same(sync!.body, { conversation_id: id })

  // Fin pulls what changed.
  const pulled = await app.inject({ url: `/api/fin/messages?conversation_id=${id}&after_id=${reply.json().id}`, headers: FIN })
  t.same(pulled.json(), [])
  const all = (await app.inject({ url: `/api/fin/messages?conversation_id=${id}`, headers: FIN })).json()
  t.same(all.map((m: { body: string }) => m.body), ['<p>Help</p>', '<p>Hi Jane, I can help.</p>'])

  const typing = await app.inject({ method: 'POST', url: `/console/conversations/${id}/typing`, headers: CONSOLE, payload: { agent_id: 'agent_sarah' } })
  t.equal(typing.statusCode, 202)
  t.same(typing.json(), { typing: true })
  const [, typed] = await fin.waitFor(2)
  t.same(typed!.body, { conversation_id: id, event_type: 'agent_typing', data: { agent: { id: 'agent_sarah', user_type: 'agent', name: 'Sarah Johnson', email: 'sarah@helpdesk.example' } } })
  t.same((await app.inject({ method: 'POST', url: `/console/conversations/${id}/typing`, headers: CONSOLE, payload: { agent_id: 'agent_sarah' } })).json(), { typing: false }, 'throttled')

  const patched = await app.inject({ method: 'PATCH', url: `/console/conversations/${id}`, headers: CONSOLE, payload: { status: 'closed', assignee_id: 'agent_omar' } })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { id, status: 'closed', assignee: { id: 'agent_omar' } })
  const events = await fin.waitFor(3)
  t.same(events[2]!.body, { conversation_id: id }, 'a sync after the change')
  const conversationNow = (await app.inject({ url: `/api/fin/conversation?conversation_id=${id}`, headers: FIN })).json()
  t.match(conversationNow, { status: 'closed', assignee: { id: 'agent_omar' } })

  t.test('bad input gets the same coded 4xx as the Fin API, and writes nothing', async (t) => {
    await until(async () => (await app.notifyFin.stats()).in_flight === 0, 'the webhooks above answered')
    const settled = await app.notifyFin.stats()
    t.match(settled, { pending: 0, in_flight: 0, failed: 0 })
    const cases: Array<[string, string, unknown, number, string]> = [
      ['PATCH', `/console/conversations/${id}`, {}, 400, 'FIN_ERR_VALIDATION'],
      ['PATCH', `/console/conversations/${id}`, { status: 'archived' }, 400, 'FIN_ERR_VALIDATION'],
      ['PATCH', `/console/conversations/${id}`, { assignee_id: 'ghost' }, 404, 'FIN_ERR_AGENT_NOT_FOUND'],
      ['PATCH', '/console/conversations/ghost', { status: 'open' }, 404, 'FIN_ERR_CONVERSATION_NOT_FOUND'],
      ['POST', `/console/conversations/${id}/messages`, { body: 'x' }, 400, 'FIN_ERR_VALIDATION'],
      ['POST', `/console/conversations/${id}/messages`, { author_id: 'ghost', body: 'x' }, 404, 'FIN_ERR_AGENT_NOT_FOUND'],
      ['POST', `/console/conversations/${id}/messages`, { author_id: 'agent_sarah', body: '<script>x</script>' }, 400, 'FIN_ERR_EMPTY_MESSAGE'],
      ['POST', `/console/conversations/${id}/messages`, { author_id: 'agent_sarah', body: 42 }, 400, 'FIN_ERR_VALIDATION'],
      ['POST', '/console/conversations/ghost/messages', { author_id: 'agent_sarah', body: 'x' }, 404, 'FIN_ERR_CONVERSATION_NOT_FOUND'],
      ['POST', `/console/conversations/${id}/typing`, { agent_id: 'ghost' }, 404, 'FIN_ERR_AGENT_NOT_FOUND'],
      ['POST', '/console/conversations/ghost/typing', { agent_id: 'agent_sarah' }, 404, 'FIN_ERR_CONVERSATION_NOT_FOUND'],
      ['GET', '/console/conversations/ghost/messages', undefined, 404, 'FIN_ERR_CONVERSATION_NOT_FOUND']
    ]
    for (const [method, url, payload, status, code] of cases) {
      const res = await app.inject({ method: method as 'GET', url, headers: CONSOLE, ...(payload === undefined ? {} : { payload: payload as object }) })
      t.equal(res.statusCode, status, `${method} ${url} ${JSON.stringify(payload)}`)
      t.equal(res.json().code, code)
    }
    const malformed = await app.inject({ method: 'POST', url: `/console/conversations/${id}/messages`, headers: { ...CONSOLE, 'content-type': 'application/json' }, payload: '{"author_id":' })
    t.match(malformed.json(), { statusCode: 400, code: 'FIN_ERR_INVALID_JSON' })
    t.equal((await app.inject({ url: `/console/conversations/${id}/messages`, headers: CONSOLE })).json().length, 2, 'no message added')
    // No sleep to see that no webhook follows: a sync would be queued in the outbox and a typing event under way
    // before the refused request was answered; the notifier counts both.
    t.same(await app.notifyFin.stats(), settled, 'no webhook for refused input')
    t.equal(fin.received.length, 3)
  })
})

t.test('a console change and its notification are one write: an outbox that refuses leaves nothing behind', async (t) => {
  const fin = await FakeFin.start(t)
  const config = readConfig({
    FIN_API_TOKEN: 'fin-token-0123456789abcdef',
    CONSOLE_TOKEN: 'console-token-0123456789abcdef',
    FIN_DB_PATH: join(dir, 'between.db'),
    FIN_INTEGRATION_ID: 'int_123',
    FIN_WEBHOOK_KEY: 'hook-key',
    FIN_BASE_URL: fin.url
  })
  const app = await buildHelpdesk(config, false)
  t.teardown(() => app.close())
  const user = (await app.inject({ method: 'POST', url: '/api/fin/user', headers: FIN, payload: { name: 'Jane' } })).json()
  const { conversation } = (await app.inject({ method: 'POST', url: '/api/fin/conversation', headers: FIN, payload: { user_id: user.id, initial_message: { body: '<p>Help</p>' } } })).json()
  const id = conversation.id as string
  const db = (app.fin.get().storage as SqliteStorage).db
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM fin_messages WHERE conversation_id = ?').get(id) as { n: number }).n
  const status = () => (db.prepare('SELECT status FROM fin_conversations WHERE id = ?').get(id) as { status: string }).status
  const outboxRows = () => (db.prepare('SELECT COUNT(*) AS n FROM fin_outbox WHERE conversation_id = ?').get(id) as { n: number }).n
  const events: string[] = []
  for (const name of ['message.created', 'conversation.updated'] as const) app.fin.events.on(name, () => { events.push(name) })

  // A real failure of the outbox write (as a full disk or a constraint would): the database refuses the outbox row.
  db.exec('CREATE TRIGGER outbox_down BEFORE INSERT ON fin_outbox BEGIN SELECT RAISE(ABORT, \'disk I/O error\'); END')
  const send = () => app.inject({
    method: 'POST',
    url: `/console/conversations/${id}/messages`,
    headers: { ...CONSOLE, 'idempotency-key': 'reply-1' },
    payload: { author_id: 'agent_sarah', body: '<p>On it.</p>' }
  })
  const failed = await send()
  t.equal(failed.statusCode, 503, 'the client learns the change was not made')
  t.match(failed.json(), { code: 'FIN_ERR_STORAGE_UNAVAILABLE' })
  t.equal(count(), 1, 'no reply stored without its notification')
  const resolve = await app.inject({ method: 'PATCH', url: `/console/conversations/${id}`, headers: CONSOLE, payload: { status: 'resolved', assignee_id: 'agent_omar' } })
  t.equal(resolve.statusCode, 503)
  t.equal(status(), 'open', 'no status changed without its notification')
  t.equal(outboxRows(), 0)
  t.same(events, [], 'no event for a change that was not made')

  db.exec('DROP TRIGGER outbox_down')
  const retried = await send()
  t.equal(retried.statusCode, 201)
  t.equal(count(), 2, 'the retry stores the reply once')
  t.ok(outboxRows() === 1 || fin.received.length > 0, 'with its sync pending or delivered')
  const messages = (await app.inject({ url: `/console/conversations/${id}/messages`, headers: CONSOLE })).json() as Array<{ id: string, body: string }>
  t.same(messages.map((m) => m.body), ['<p>Help</p>', '<p>On it.</p>'])
  t.equal(retried.json().id, messages[1]!.id, 'the retry answers the stored message')
  const again = await send()
  t.equal(again.json().id, messages[1]!.id, 'a second retry answers the same message')
  t.equal(count(), 2, 'stored once')
  const [sync] = await fin.waitFor(1)
  t.same(sync!.body, { conversation_id: id }, 'Fin hears of the reply')
  t.same(events, ['message.created'], 'one event, for the one reply')

  const other = (await app.inject({ method: 'POST', url: '/api/fin/conversation', headers: FIN, payload: { user_id: user.id, initial_message: { body: '<p>Other</p>' } } })).json().conversation.id as string
  const reused = await app.inject({ method: 'POST', url: `/console/conversations/${other}/messages`, headers: { ...CONSOLE, 'idempotency-key': 'reply-1' }, payload: { author_id: 'agent_sarah', body: 'x' } })
  t.equal(reused.statusCode, 409, 'a key reused on another conversation is a conflict, never the other reply')
})
