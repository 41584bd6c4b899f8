import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { SqliteOutbox } from '../../lib/sqlite/index.js'
import { migrate, outboxMigrations } from '../../lib/sqlite/migrations.js'

// An outbox written before trace contexts existed: its entries come through with none, new ones get one.
const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

t.test('SQLite: the trace_context step is appended to the outbox track; old entries read as null', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fin-outbox-upgrade-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new BetterSqlite3(join(dir, 'old.db'))
  t.teardown(() => db.close())
  t.equal(migrate(db, 'fin_outbox_migrations', outboxMigrations('fin_').slice(0, 1)), 1, 'the released schema')
  db.prepare('INSERT INTO fin_outbox (conversation_id, state, due_at, first_at, updated_at) VALUES (\'old\', \'pending\', 0, 0, 0)').run()

  const outbox = new SqliteOutbox({ database: db })
  t.same(db.prepare('SELECT version FROM fin_outbox_migrations').all(), [{ version: 1 }, { version: 2 }])
  await outbox.request('new', 0, 0, TP)
  t.same((await outbox.claim(1, 10, 1000)).map((e) => [e.conversation_id, e.trace_context]).sort(), [['new', TP], ['old', null]])
})
