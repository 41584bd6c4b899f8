import pg from 'pg'
import t from 'tap'
import { transaction } from '../../lib/postgres/migrations.js'
import { havePostgres, PG_URL } from '../fixtures/services.js'

t.test('a transaction whose ROLLBACK fails releases its client with the error, never back into the pool', async (t) => {
  if (!(await havePostgres(t))) return
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 })
  t.teardown(() => pool.end())
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  t.teardown(() => admin.end())
  const released: Array<Error | undefined> = []
  pool.on('release', (err: Error | undefined) => { released.push(err) })

  let killed = 0
  await t.rejects(transaction(pool, async (client) => {
    // The connection dies mid-transaction (failover, idle-in-transaction timeout, an operator's kill).
    client.on('error', () => {})
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    killed = rows[0]!.pid
    await admin.query('SELECT pg_terminate_backend($1)', [killed])
    await client.query('SELECT 1').catch(() => {})
    throw new Error('the work failed')
  }), { message: 'the work failed' }, 'the caller sees its own error, not the rollback\'s')

  t.equal(released.length, 1)
  t.type(released[0], Error, 'released with the ROLLBACK error: the pool destroys that client')
  t.equal(pool.totalCount, 0, 'the broken client is gone from the pool')
  const next = await transaction(pool, async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid)
  t.not(next, killed, 'the next transaction runs on a fresh connection')
  t.equal(released[1], undefined, 'a transaction that commits releases its client normally')
})
