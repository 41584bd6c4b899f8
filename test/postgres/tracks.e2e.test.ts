import t from 'tap'
import type pg from 'pg'
import { PostgresOutbox, PostgresStorage } from '../../lib/postgres/index.js'
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
    await outbox.request({ conversationId: 'conv_1', now: 0, window: 0 })
    t.same(await tables(pool, name), ['outbox', 'outbox_migrations'])
  })
})
