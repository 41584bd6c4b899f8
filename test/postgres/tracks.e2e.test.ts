import t from 'tap'
import type pg from 'pg'
import { PostgresOutbox, PostgresStorage } from '../../lib/postgres/index.js'
import { migratePostgres, outboxMigrations, storageMigrations } from '../../lib/postgres/migrations.js'
import { buildApp } from '../fixtures/app.js'
import { havePostgres, testPool } from '../fixtures/services.js'

async function tables (pool: pg.Pool, schema: string): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema])
  return rows.map((row) => row.table_name)
}

t.test('PostgreSQL migration tracks', async (t) => {
  if (!(await havePostgres(t))) return
  const { pool, schema } = testPool(t)

  t.test('storage with the default (memory) outbox creates no outbox table', async (t) => {
    const name = schema('storage_only')
    const storage = new PostgresStorage({ pool, schema: name })
    await storage.ready()
    await buildApp(t, { storage, notify: { integrationId: 'i', webhookKey: 'k', baseUrl: 'http://127.0.0.1:9' } })
    t.same(await tables(pool, name), ['agents', 'conversations', 'messages', 'migrations', 'users'])
  })

  t.test('a PostgresOutbox alone creates no storage tables', async (t) => {
    const name = schema('outbox_only')
    const outbox = new PostgresOutbox({ pool, schema: name })
    await outbox.request('conv_1', 0, 0)
    t.same(await tables(pool, name), ['outbox', 'outbox_migrations'])
  })

  t.test('a database migrated before the split (outbox made by storage step 2) still opens', async (t) => {
    const name = schema('before_split')
    // The old single track: the storage's tables, then the outbox, both recorded in `migrations`.
    await migratePostgres(pool, name, { versionTable: 'migrations', steps: (s) => [storageMigrations(s)[0]!, outboxMigrations(s)[0]!] })
    const outbox = new PostgresOutbox({ pool, schema: name })
    await outbox.request('conv_1', 0, 0)
    t.same(await outbox.counts(), { pending: 1, inflight: 0, failed: 0 }, 'the old outbox table is used as it is')
    const storage = new PostgresStorage({ pool, schema: name })
    await storage.ready()
    t.same((await storage.createUser({ name: 'Jane' })).created, true)
    t.same((await pool.query(`SELECT version FROM "${name}".migrations ORDER BY version`)).rows, [{ version: 1 }, { version: 2 }])
    t.same((await pool.query(`SELECT version FROM "${name}".outbox_migrations`)).rows, [{ version: 1 }, { version: 2 }], 'then the trace_context step')
  })
})
