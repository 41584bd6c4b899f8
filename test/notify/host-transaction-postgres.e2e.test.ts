import Fastify from 'fastify'
import t from 'tap'
import finHelpdesk from '../../lib/index.js'
import { PostgresOutbox } from '../../lib/postgres/index.js'
import { TOKEN } from '../fixtures/app.js'
import { until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { havePostgres, testPool } from '../fixtures/services.js'

// A host that keeps its data in its own PostgreSQL tables: notifyFin joins its transaction (a pg client inside
// BEGIN), so Fin's sync commits or rolls back with the host's own write.

t.test('PostgreSQL: committed with the host\'s write, the sync is delivered; rolled back, nothing is', async (t) => {
  if (!await havePostgres(t)) return
  const { pool, schema } = testPool(t)
  const s = schema('host_tx')
  const fin = await FakeFin.start(t)
  const outbox = new PostgresOutbox({ pool, schema: s })
  const app = Fastify()
  await app.register(finHelpdesk, { tokens: [TOKEN], notify: { integrationId: 'int_1', webhookKey: 'hook-key', baseUrl: fin.url, coalesceWindow: 0, outbox } })
  await app.ready()
  t.teardown(() => app.close())
  await outbox.counts() // the outbox's schema is migrated
  await pool.query(`CREATE TABLE "${s}".replies (id serial PRIMARY KEY, conversation_id text NOT NULL)`)
  const replies = async () => (await pool.query<{ conversation_id: string }>(`SELECT conversation_id FROM "${s}".replies ORDER BY id`)).rows.map((r) => r.conversation_id)
  const pending = async () => (await pool.query<{ conversation_id: string }>(`SELECT conversation_id FROM "${s}".outbox`)).rows.map((r) => r.conversation_id)

  const save = async (conversationId: string, fail: boolean): Promise<void> => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query(`INSERT INTO "${s}".replies (conversation_id) VALUES ($1)`, [conversationId])
      await app.notifyFin(conversationId, { transaction: client })
      if (fail) throw new Error('the host\'s own write failed after the notification')
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK')
      throw err
    } finally {
      client.release()
    }
  }

  await t.rejects(save('conv_rolled_back', true), { message: /host's own write failed/ })
  t.same(await replies(), [], 'the host\'s row rolled back')
  t.same(await pending(), [], 'and Fin\'s sync with it')

  await save('conv_committed', false)
  t.same(await replies(), ['conv_committed'])
  const [sync] = await fin.waitFor(1)
  t.same(sync!.body, { conversation_id: 'conv_committed' })
  await until(async () => (await app.notifyFin.stats()).delivered === 1, 'delivery recorded')
  t.same(await pending(), [])
  t.same(fin.received.map((r) => r.body.conversation_id), ['conv_committed'], 'the rolled-back change never reached Fin')

  // An outbox insert that fails inside the host's transaction fails the host's COMMIT path: nothing stored.
  await pool.query(`CREATE FUNCTION "${s}".refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql`)
  await pool.query(`CREATE TRIGGER outbox_down BEFORE INSERT ON "${s}".outbox FOR EACH ROW EXECUTE FUNCTION "${s}".refuse()`)
  await t.rejects(save('conv_refused', false), { message: 'disk full' })
  t.same(await replies(), ['conv_committed'], 'the host\'s write did not commit without its notification')
  await t.rejects(app.notifyFin('conv_x', { transaction: {} }), { code: 'FIN_ERR_OPTIONS', message: /pg. client inside BEGIN/ })
})
