import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk from '../../lib/index.js'
import { SqliteOutbox } from '../../lib/sqlite/index.js'
import { TOKEN } from '../fixtures/app.js'
import { until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'

// A host that keeps its data in its own SQLite tables: notifyFin joins its open transaction, so Fin's sync commits
// or rolls back with the host's own write.

const dir = mkdtempSync(join(tmpdir(), 'fin-host-tx-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

async function hostApp (t: Test, file: string) {
  const fin = await FakeFin.start(t)
  const db = new BetterSqlite3(join(dir, file))
  db.pragma('journal_mode = WAL')
  db.exec('CREATE TABLE replies (id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, body TEXT NOT NULL)')
  const app = Fastify()
  // Before the plugin: onClose hooks run last-added first, so the plugin drains into the database before it closes.
  app.addHook('onClose', async () => { db.close() })
  await app.register(finHelpdesk, {
    tokens: [TOKEN],
    notify: { integrationId: 'int_1', webhookKey: 'hook-key', baseUrl: fin.url, coalesceWindow: 0, outbox: new SqliteOutbox({ database: db }) }
  })
  await app.ready()
  t.teardown(() => app.close())
  const reply = db.prepare('INSERT INTO replies (conversation_id, body) VALUES (?, ?)')
  const replies = () => (db.prepare('SELECT conversation_id FROM replies ORDER BY id').all() as Array<{ conversation_id: string }>).map((r) => r.conversation_id)
  const outbox = () => (db.prepare('SELECT conversation_id FROM fin_outbox').all() as Array<{ conversation_id: string }>).map((r) => r.conversation_id)
  return { app, db, fin, reply, replies, outbox }
}

t.test('SQLite: committed with the host\'s write, the sync is delivered; rolled back, nothing is', async (t) => {
  const { app, db, fin, reply, replies, outbox } = await hostApp(t, 'commit.db')

  const save = db.transaction((conversationId: string, body: string, fail: boolean) => {
    reply.run(conversationId, body)
    app.notifyFin(conversationId, { transaction: db })
    if (fail) throw new Error('the host\'s own write failed after the notification')
  })
  t.throws(() => save('conv_rolled_back', 'lost', true), { message: /host's own write failed/ })
  t.same(replies(), [], 'the host\'s row rolled back')
  t.same(outbox(), [], 'and Fin\'s sync with it')

  save('conv_committed', 'kept', false)
  t.same(replies(), ['conv_committed'])
  const [sync] = await fin.waitFor(1)
  t.same(sync!.body, { conversation_id: 'conv_committed' })
  // Delivered, and the outbox empty: the rolled-back change was never in it to be sent.
  await until(async () => (await app.notifyFin.stats()).delivered === 1, 'delivery recorded')
  t.same(outbox(), [])
  t.same(fin.received.map((r) => r.body.conversation_id), ['conv_committed'], 'the rolled-back change never reached Fin')
})

t.test('SQLite: an outbox that refuses the insert rolls the host\'s write back', async (t) => {
  const { app, db, reply, replies } = await hostApp(t, 'refused.db')
  db.exec('CREATE TRIGGER outbox_down BEFORE INSERT ON fin_outbox BEGIN SELECT RAISE(ABORT, \'disk I/O error\'); END')
  const save = db.transaction((conversationId: string) => {
    reply.run(conversationId, 'x')
    app.notifyFin(conversationId, { transaction: db })
  })
  t.throws(() => save('conv_1'), { message: 'disk I/O error' }, 'thrown into the transaction, not a rejection it cannot see')
  t.same(replies(), [], 'nothing stored without its notification')
})

t.test('SQLite: another connection to the same file joins too; a transaction the outbox cannot join is refused', async (t) => {
  const { app, fin, replies } = await hostApp(t, 'second.db')
  const other = new BetterSqlite3(join(dir, 'second.db'))
  t.teardown(() => other.close())
  const insert = other.prepare('INSERT INTO replies (conversation_id, body) VALUES (?, ?)')
  other.transaction(() => {
    insert.run('conv_other', 'x')
    app.notifyFin('conv_other', { transaction: other })
  })()
  t.same(replies(), ['conv_other'])
  const [sync] = await fin.waitFor(1)
  t.same(sync!.body, { conversation_id: 'conv_other' })

  const elsewhere = new BetterSqlite3(join(dir, 'elsewhere.db'))
  t.teardown(() => elsewhere.close())
  t.throws(() => elsewhere.transaction(() => { app.notifyFin('conv_x', { transaction: elsewhere }) })(), { code: 'FIN_ERR_OPTIONS', message: /same file/ })
  t.throws(() => { app.notifyFin('conv_x', { transaction: other }) }, { code: 'FIN_ERR_OPTIONS', message: /inside db\.transaction\(\)/ }, 'outside a transaction')
  t.throws(() => { app.notifyFin('', { transaction: other }) }, { code: 'FIN_ERR_VALIDATION' })
})
