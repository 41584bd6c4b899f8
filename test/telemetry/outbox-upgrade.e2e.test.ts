import t from 'tap'
import { PostgresOutbox } from '../../lib/postgres/index.js'
import { migratePostgres, outboxMigrations as postgresOutboxMigrations } from '../../lib/postgres/migrations.js'
import { havePostgres, testPool } from '../fixtures/services.js'

// An outbox written before trace contexts existed: its entries come through with none, new ones get one.
const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

t.test('PostgreSQL: the same step appended to the outbox track; old entries read as null', async (t) => {
  if (!(await havePostgres(t))) return
  const { pool, schema } = testPool(t)
  const name = schema('upgrade')
  const s = `"${name}"`
  // The outbox track as released before this step.
  await migratePostgres(pool, name, { versionTable: 'outbox_migrations', steps: (q) => postgresOutboxMigrations(q).slice(0, 1) })
  await pool.query(`INSERT INTO ${s}.outbox (conversation_id, state, due_at, first_at, updated_at) VALUES ('old', 'pending', 0, 0, 0)`)

  const outbox = new PostgresOutbox({ pool, schema: name })
  await outbox.request('new', 0, 0, TP)
  t.same((await outbox.claim(1, 10, 1000)).map((e) => [e.conversation_id, e.trace_context]).sort(), [['new', TP], ['old', null]])
  const { rows } = await pool.query(`SELECT MAX(version) AS v FROM ${s}.outbox_migrations`)
  t.equal(rows[0].v, 2, 'appended to the outbox\'s own track')
})
