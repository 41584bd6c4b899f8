import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { SqliteOutbox, SqliteStorage } from '../../lib/sqlite/index.js'
import { testFinStorage } from '../../lib/testing/index.js'
import { buildApp, FIN_AGENT } from '../fixtures/app.js'
import { client, conversationInput } from '../fixtures/client.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-sqlite-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (): string => join(dir, `db-${++files}`, 'helpdesk.db')

testFinStorage('SqliteStorage (file)', () => new SqliteStorage({ path: file() }), {
  test: (name, fn) => t.test(name, fn),
  outbox: (storage) => new SqliteOutbox({ database: storage.db })
})

t.test('WAL, migrations recorded, folder created', async (t) => {
  const path = file()
  const storage = new SqliteStorage({ path })
  t.teardown(() => storage.close())
  t.ok(existsSync(path))
  t.equal(storage.db.pragma('journal_mode', { simple: true }), 'wal')
  t.same(storage.db.prepare('SELECT version FROM fin_migrations').all(), [{ version: 1 }])
  const again = new SqliteStorage({ path })
  t.same(again.db.prepare('SELECT version FROM fin_migrations').all(), [{ version: 1 }], 'reopening applies nothing twice')
  await again.close()
})

t.test('data is still there after closing and reopening', async (t) => {
  const path = file()
  const first = new SqliteStorage({ path })
  await first.upsertAgent(FIN_AGENT)
  const user = (await first.createUser({ object_id: 'u', name: 'Jane', attributes: { plan: 'pro' } })).value
  const { conversation, message } = (await first.createConversation({
    object_id: 'c', user_id: user.id, title: 'T', attributes: { a: 1 }, message: { author: { id: user.id, user_type: 'end_user' }, body: '<p>hi</p>', visibility: 'public', attachments: [] }
  })).value
  const updated = (await first.updateConversation(conversation.id, { assignee_id: FIN_AGENT.id, tags: ['x'] }))!.conversation
  await first.close()
  t.notOk(first.db.open)

  const second = new SqliteStorage({ path })
  t.teardown(() => second.close())
  t.same(await second.getUser(user.id), user)
  t.same(await second.getConversation(conversation.id), updated)
  t.same(await second.listMessages(conversation.id), [message])
  const repeat = await second.createUser({ object_id: 'u', name: 'Other' })
  t.equal(repeat.created, false, 'object_ids survive the reopen')
})

t.test('a database passed in stays open; tables can take a prefix', async (t) => {
  const db = new BetterSqlite3(join(dir, 'shared.db'))
  t.teardown(() => db.close())
  db.exec('CREATE TABLE host_orders (id INTEGER PRIMARY KEY)')
  const storage = new SqliteStorage({ database: db, tablePrefix: 'support_' })
  await storage.createUser({ name: 'Jane' })
  await storage.close()
  t.ok(db.open, 'the host\'s database is not closed')
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)
  t.same(tables.filter((name) => name.startsWith('support_')), ['support_agents', 'support_conversations', 'support_messages', 'support_migrations', 'support_users'])
  t.ok(tables.includes('host_orders'))
  t.throws(() => new SqliteStorage({ database: db, tablePrefix: 'bad; DROP' }), { code: 'FIN_ERR_OPTIONS' })
  t.throws(() => new SqliteStorage({ database: db, path: join(dir, 'other.db') }), { code: 'FIN_ERR_OPTIONS', message: /a `path` or a `database`/ }, 'both: which one?')
  t.throws(() => new SqliteStorage({}), { code: 'FIN_ERR_OPTIONS', message: /a `path` or a `database`/ }, 'neither')
})

t.test('20 concurrent identical creates through the API make one record', async (t) => {
  const storage = new SqliteStorage({ path: file() })
  t.teardown(() => storage.close())
  const { call } = await buildApp(t, { storage })
  const op = client(call, 'standard')
  const users = await Promise.all(Array.from({ length: 20 }, () => op('createUser', { name: 'Jane', object_id: 'same-user' })))
  t.equal(new Set(users.map((r) => r.data.id)).size, 1)
  const userId = users[0]!.data.id
  const conversations = await Promise.all(Array.from({ length: 20 }, () => op('createConversation', conversationInput('standard', userId, { object_id: 'same-conv' }, { object_id: 'same-first' }))))
  t.equal(new Set(conversations.map((r) => r.data.conversation.id)).size, 1)
  const conversationId = conversations[0]!.data.conversation.id
  const messages = await Promise.all(Array.from({ length: 20 }, () => op('createMessage', {
    conversation_id: conversationId, body: '<p>x</p>', author: { id: FIN_AGENT.id, user_type: 'agent' }, object_id: 'same-message'
  })))
  t.same(messages.map((r) => r.status), Array(20).fill(201))
  t.equal(new Set(messages.map((r) => r.data.id)).size, 1)
  t.same(storage.db.prepare('SELECT COUNT(*) AS n FROM fin_users').get(), { n: 1 })
  t.same(storage.db.prepare('SELECT COUNT(*) AS n FROM fin_conversations').get(), { n: 1 })
  t.same(storage.db.prepare('SELECT COUNT(*) AS n FROM fin_messages').get(), { n: 2 })
})

t.test('after_id on 100,000 messages answers from the index', async (t) => {
  const storage = new SqliteStorage({ path: file() })
  t.teardown(() => storage.close())
  await storage.upsertAgent(FIN_AGENT)
  const user = (await storage.createUser({ name: 'Jane' })).value
  const { conversation, message } = (await storage.createConversation({
    user_id: user.id, title: null, attributes: null, message: { author: { id: user.id, user_type: 'end_user' }, body: 'first', visibility: 'public', attachments: [] }
  })).value
  // Bulk-load the history in one transaction (the API path is covered elsewhere); another conversation's
  // messages are interleaved so the index has to discriminate.
  const insert = storage.db.prepare(`INSERT INTO fin_messages (id, conversation_id, body, author, visibility, attachments, created_at)
    VALUES (?, ?, ?, '{"id":"agent_fin","user_type":"agent"}', 'public', '[]', '2025-01-01T00:00:00.000Z')`)
  const other = (await storage.createConversation({
    user_id: user.id, title: null, attributes: null, message: { author: { id: user.id, user_type: 'end_user' }, body: 'x', visibility: 'public', attachments: [] }
  })).value.conversation.id
  storage.db.transaction(() => {
    for (let i = 1; i < 100_000; i++) {
      insert.run(`m${i}`, conversation.id, `<p>${i}</p>`)
      if (i % 10 === 0) insert.run(`o${i}`, other, 'other')
    }
  })()
  t.same(storage.db.prepare('SELECT COUNT(*) AS n FROM fin_messages WHERE conversation_id = ?').get(conversation.id), { n: 100_000 })

  const plan = storage.queryPlan('listMessagesAfter')
  t.ok(plan.some((step) => /SEARCH .*fin_messages USING INDEX fin_messages_by_conversation \(conversation_id=\? AND seq>\?\)/.test(step)), plan.join(' | '))
  t.ok(plan.some((step) => /SEARCH .*fin_messages USING INDEX sqlite_autoindex_fin_messages_1 \(id=\?\)/.test(step)), 'after_id found by its unique index')
  t.notOk(plan.some((step) => /\bSCAN\b/.test(step)), 'no scan of the history')
  t.notOk(plan.some((step) => /TEMP B-TREE/.test(step)), 'no sort: the index gives the order')

  t.same(await storage.listMessages(conversation.id, 'm99999'), [])
  t.same((await storage.listMessages(conversation.id, 'm99997'))!.map((m) => m.id), ['m99998', 'm99999'])
  t.equal((await storage.listMessages(conversation.id, message.id))!.length, 99_999)
})
