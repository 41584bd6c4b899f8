import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { MemoryOutbox } from '../../lib/index.js'
import { SqliteOutbox, SqliteStorage } from '../../lib/sqlite/index.js'
import { testFinOutbox } from '../../lib/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-outbox-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

const test = (name: string, fn: () => Promise<void>) => t.test(name, fn)
// A transaction each outbox can join: MemoryStorage's (actions run once the write succeeded), a Database's.
testFinOutbox('MemoryOutbox', () => new MemoryOutbox(), {
  test,
  transaction: async (_outbox, fn) => {
    const deferred: Array<() => void> = []
    fn({ afterWrite: (action: () => void) => { deferred.push(action) } })
    for (const action of deferred) action()
  }
})
testFinOutbox('SqliteOutbox', () => new SqliteOutbox({ path: join(dir, `outbox-${++n}.db`) }), {
  test,
  transaction: async (outbox, fn) => { outbox.db.transaction(() => { fn(outbox.db) })() }
})

t.test('SqliteOutbox lives in SqliteStorage\'s database and keeps entries across reopening', async (t) => {
  const path = join(dir, 'shared.db')
  const storage = new SqliteStorage({ path })
  const outbox = new SqliteOutbox({ database: storage.db })
  await outbox.request({ conversationId: 'conv_1', now: 1000, window: 0 })
  await outbox.claim(1000, 10, 30_000)
  await outbox.close()
  t.ok(storage.db.open, 'the storage\'s database stays open')
  await storage.close()

  const reopened = new SqliteStorage({ path })
  t.teardown(() => reopened.close())
  const again = new SqliteOutbox({ database: reopened.db })
  t.same(await again.counts(), { pending: 0, inflight: 1, failed: 0 }, 'the interrupted delivery is still there')
  await again.recover(2000)
  t.match(await again.claim(2000, 10, 30_000), [{ conversation_id: 'conv_1', state: 'inflight' }], 'and due again after recover')
  const tables = (reopened.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)
  t.ok(tables.includes('fin_outbox') && tables.includes('fin_users'), 'one database, both sets of tables')
})

t.test('SqliteOutbox options: a table prefix of letters, digits and "_"; a database or a path, not both', async (t) => {
  const path = join(dir, 'options.db')
  const prefixed = new SqliteOutbox({ path, tablePrefix: 'support_' })
  t.teardown(() => prefixed.close())
  t.ok(prefixed.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'support_outbox'").get(), 'its table takes the prefix')
  t.throws(() => new SqliteOutbox({ path, tablePrefix: 'fin; DROP TABLE x; --' }), { code: 'FIN_ERR_OPTIONS', message: /tablePrefix/ })
  t.throws(() => new SqliteOutbox({ path, database: prefixed.db }), { code: 'FIN_ERR_OPTIONS', message: /a `database` or a `path`/ }, 'both')
  t.throws(() => new SqliteOutbox({}), { code: 'FIN_ERR_OPTIONS', message: /a `database` or a `path`/ }, 'neither')
})
