import t from 'tap'
import { PostgresOutbox, PostgresStorage } from '../../lib/postgres/index.js'
import { testFinOutbox, testFinStorage } from '../../lib/testing/index.js'
import { FIN_AGENT } from '../fixtures/app.js'
import { havePostgres, PG_URL, testPool } from '../fixtures/services.js'

t.test('PostgreSQL', async (t) => {
  if (!(await havePostgres(t))) return
  const { pool, schema } = testPool(t)
  let n = 0
  const test = (name: string, fn: () => Promise<void>) => t.test(name, fn)
  testFinStorage('PostgresStorage', () => new PostgresStorage({ pool, schema: schema(`s${++n}`) }), {
    test,
    outbox: (storage) => new PostgresOutbox({ pool, schema: storage.schema })
  })
  testFinOutbox('PostgresOutbox', () => new PostgresOutbox({ pool, schema: schema(`o${++n}`) }), {
    test,
    transaction: async (outbox, fn) => {
      const client = await outbox.pool.connect()
      try {
        await client.query('BEGIN')
        await fn(client)
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw err
      } finally {
        client.release()
      }
    }
  })

  t.test('migrations are recorded once, also when several instances start together', async (t) => {
    const name = schema('migrate')
    const instances = Array.from({ length: 4 }, () => new PostgresStorage({ pool, schema: name }))
    await Promise.all(instances.map((s) => s.ready()))
    const { rows } = await pool.query(`SELECT version FROM "${name}".migrations ORDER BY version`)
    t.same(rows, [{ version: 1 }])
  })

  t.test('a storage made from a connection string closes its own pool; a pool passed in stays open', async (t) => {
    const own = new PostgresStorage({ connectionString: PG_URL, schema: schema('own') })
    await own.createUser({ name: 'Jane' })
    await own.close()
    t.equal(own.pool.ending, true)
    const shared = new PostgresStorage({ pool, schema: schema('shared') })
    await shared.close()
    t.equal(pool.ending, false)
  })

  t.test('an outbox made from a connection string closes its own pool; a pool passed in stays open', async (t) => {
    const own = new PostgresOutbox({ connectionString: PG_URL, schema: schema('own_outbox') })
    await own.request({ conversationId: 'conv_1', now: 0, window: 0 })
    t.same(await own.counts(), { pending: 1, inflight: 0, failed: 0 })
    await own.close()
    t.equal(own.pool.ending, true)
    const shared = new PostgresOutbox({ pool, schema: schema('shared_outbox') })
    await shared.close()
    t.equal(pool.ending, false)
  })

  t.test('bad options throw FIN_ERR_OPTIONS before any connection', async (t) => {
    for (const Made of [PostgresStorage, PostgresOutbox]) {
      t.throws(() => new Made({ pool, schema: 'Fin; DROP SCHEMA public' }), { code: 'FIN_ERR_OPTIONS', message: /schema must be lowercase/ }, `${Made.name}: a schema that is no identifier`)
      t.throws(() => new Made({ pool, connectionString: PG_URL }), { code: 'FIN_ERR_OPTIONS', message: /a `pool` or a `connectionString`/ }, `${Made.name}: both`)
      t.throws(() => new Made({}), { code: 'FIN_ERR_OPTIONS', message: /a `pool` or a `connectionString`/ }, `${Made.name}: neither`)
    }
  })

  t.test('PostgreSQL unreachable: every call rejects with the connection error, and close() still ends the pool', async (t) => {
    const unreachable = 'postgres://postgres@127.0.0.1:1/test'
    const storage = new PostgresStorage({ connectionString: unreachable })
    t.equal(storage.schema, 'fin', 'the default schema')
    await t.rejects(storage.getUser('usr_1'), { code: 'ECONNREFUSED' })
    await t.rejects(storage.createUser({ name: 'Jane' }), { code: 'ECONNREFUSED' })
    await storage.close()
    t.equal(storage.pool.ending, true)
    const outbox = new PostgresOutbox({ connectionString: unreachable })
    await t.rejects(outbox.request({ conversationId: 'conv_1', now: 0, window: 0 }), { code: 'ECONNREFUSED' })
    await t.rejects(outbox.claim(0, 10, 1000), { code: 'ECONNREFUSED' })
    await outbox.close()
    t.equal(outbox.pool.ending, true)
  })

  t.test('a new conversation whose first message\'s object_id another message has: created; the object_id keeps its message', async (t) => {
    const storage = new PostgresStorage({ pool, schema: schema('taken') })
    await storage.upsertAgent(FIN_AGENT)
    const user = (await storage.createUser({ name: 'Jane' })).value
    const message = (objectId: string) => ({ author: { id: user.id, user_type: 'end_user' as const }, body: 'hi', visibility: 'public' as const, attachments: [], object_id: objectId })
    const first = (await storage.createConversation({ object_id: 'c1', user_id: user.id, title: null, attributes: null, message: message('m1') })).value
    const second = await storage.createConversation({ object_id: 'c2', user_id: user.id, title: null, attributes: null, message: message('m1') })
    t.equal(second.created, true)
    t.not(second.value.message.id, first.message.id, 'its own first message')
    t.same((await storage.listMessages(second.value.conversation.id))!.map((m) => m.id), [second.value.message.id])
    const retry = await storage.createMessage(first.conversation.id, { ...message('m1'), author: { id: FIN_AGENT.id, user_type: 'agent' } })
    t.same(retry, { value: first.message, created: false }, 'm1 still names the first conversation\'s message')
  })

  t.test('after_id on 100,000 messages is an index seek', async (t) => {
    const name = schema('big')
    const storage = new PostgresStorage({ pool, schema: name })
    await storage.upsertAgent(FIN_AGENT)
    const user = (await storage.createUser({ name: 'Jane' })).value
    const { conversation } = (await storage.createConversation({
      user_id: user.id, title: null, attributes: null, message: { author: { id: user.id, user_type: 'end_user' }, body: 'first', visibility: 'public', attachments: [] }
    })).value
    const other = (await storage.createConversation({
      user_id: user.id, title: null, attributes: null, message: { author: { id: user.id, user_type: 'end_user' }, body: 'x', visibility: 'public', attachments: [] }
    })).value.conversation.id
    // 100,000 messages in the conversation, interleaved with 100,000 of another one: the index must discriminate.
    await pool.query(`INSERT INTO "${name}".messages (id, conversation_id, body, author, visibility, attachments, created_at)
      SELECT CASE WHEN i % 2 = 0 THEN 'm' || (i / 2) ELSE 'o' || i END, CASE WHEN i % 2 = 0 THEN $1 ELSE $2 END,
             '<p>' || i || '</p>', '{"id":"agent_fin","user_type":"agent"}', 'public', '[]', '2025-01-01T00:00:00.000Z'
      FROM generate_series(2, 199999) AS i`, [conversation.id, other])
    await pool.query(`ANALYZE "${name}".messages`)
    const plan = (await storage.queryPlan(conversation.id, 'm99990')).join('\n')
    // Either index is a seek bounded by the after_id's seq; which one depends on the data (cost-based).
    t.match(plan, /Index Scan using (messages_by_conversation|messages_pkey)[^\n]*\n\s+Index Cond: [^\n]*seq > COALESCE/, plan)
    t.match(plan, /Index Scan using messages_id_key[^\n]*\n\s+Index Cond: \(id = /, 'the after_id is found by its unique index')
    t.notMatch(plan, /Seq Scan|Sort/, 'no scan of the history, no sort')
    t.same((await storage.listMessages(conversation.id, 'm99997'))!.map((m) => m.id), ['m99998', 'm99999'])
  })

  t.test('a conversation\'s messages, written concurrently, are listed in commit order without gaps', async (t) => {
    const storage = new PostgresStorage({ pool, schema: schema('order') })
    await storage.upsertAgent(FIN_AGENT)
    const user = (await storage.createUser({ name: 'Jane' })).value
    const { conversation, message } = (await storage.createConversation({
      user_id: user.id, title: null, attributes: null, message: { author: { id: user.id, user_type: 'end_user' }, body: 'first', visibility: 'public', attachments: [] }
    })).value
    // A reader polls with after_id while 40 writers race: it must end up with every message exactly once.
    const seen: string[] = [message.id]
    let writing = true
    const reader = (async () => {
      for (;;) {
        // Decide before reading: a read that began before the last commit may rightly come back empty.
        const writersDone = !writing
        const next = await storage.listMessages(conversation.id, seen[seen.length - 1])
        seen.push(...next!.map((m) => m.id))
        if (writersDone && next!.length === 0) break
      }
    })()
    await Promise.all(Array.from({ length: 40 }, (_, i) => storage.createMessage(conversation.id, {
      author: { id: FIN_AGENT.id, user_type: 'agent' }, body: `<p>${i}</p>`, visibility: 'public', attachments: [], object_id: `o${i}`
    })))
    writing = false
    await reader
    const all = (await storage.listMessages(conversation.id))!.map((m) => m.id)
    t.equal(all.length, 41)
    t.same(seen, all, 'the after_id reader saw every message, once, in order')
  })
})
