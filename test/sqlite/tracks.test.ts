import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import t from 'tap'
import { SqliteOutbox, SqliteStorage } from '../../lib/sqlite/index.js'
import { buildApp } from '../fixtures/app.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-tracks-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (): string => join(dir, `tracks-${++files}.db`)

function tables (db: Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>)
    .map((row) => row.name)
}

t.test('SQLite storage with the default (memory) outbox creates no outbox table', async (t) => {
  const storage = new SqliteStorage({ path: file() })
  t.teardown(() => storage.close())
  const { app } = await buildApp(t, { storage, notify: { integrationId: 'i', webhookKey: 'k', baseUrl: 'http://127.0.0.1:9' } })
  t.ok(app.hasDecorator('notifyFin'))
  t.same(tables(storage.db), ['fin_agents', 'fin_conversations', 'fin_messages', 'fin_migrations', 'fin_users'])
})

t.test('a SqliteOutbox alone creates no storage tables', async (t) => {
  const outbox = new SqliteOutbox({ path: file() })
  t.teardown(() => outbox.close())
  await outbox.request({ conversationId: 'conv_1', now: 0, window: 0 })
  t.same(tables(outbox.db), ['fin_outbox', 'fin_outbox_migrations'])
})

t.test('both on one database: each on its own track', async (t) => {
  const db = new BetterSqlite3(file())
  t.teardown(() => db.close())
  const storage = new SqliteStorage({ database: db })
  const outbox = new SqliteOutbox({ database: db })
  await storage.close()
  await outbox.close()
  t.same(tables(db), ['fin_agents', 'fin_conversations', 'fin_messages', 'fin_migrations', 'fin_outbox', 'fin_outbox_migrations', 'fin_users'])
  t.same(db.prepare('SELECT version FROM fin_outbox_migrations').all(), [{ version: 1 }])
})
