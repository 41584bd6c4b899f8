import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk from '../../lib/index.js'
import { PostgresOutbox, PostgresStorage } from '../../lib/postgres/index.js'
import { FIN_AGENT } from '../fixtures/app.js'
import { until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { havePostgres, PG_URL, testPool } from '../fixtures/services.js'
import { startHelpdesk } from '../fixtures/spawn.js'

const AUTH = { authorization: 'Bearer fin-token-0123456789abcdef' }

/** One app instance on the shared schema, as a load-balanced deployment would run several. */
async function instance (t: Test, pool: PostgresStorage['pool'], schema: string, fin: FakeFin, notify: object = {}): Promise<FastifyInstance> {
  const storage = new PostgresStorage({ pool, schema })
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, {
    tokens: ['fin-token-0123456789abcdef'],
    storage,
    rateLimit: false,
    notify: { integrationId: 'int', webhookKey: 'k', baseUrl: fin.url, outbox: new PostgresOutbox({ pool, schema }), pollInterval: 100, lease: 1000, ...notify }
  })
  await app.ready()
  return app
}

t.test('several instances on one PostgreSQL database', async (t) => {
  if (!(await havePostgres(t))) return
  const { pool, schema } = testPool(t)

  t.test('50 concurrent identical creates, split between two instances, make one record', async (t) => {
    const fin = await FakeFin.start(t)
    const name = schema('creates')
    const [a, b] = [await instance(t, pool, name, fin), await instance(t, pool, name, fin)]
    await new PostgresStorage({ pool, schema: name }).upsertAgent(FIN_AGENT)
    const half = (i: number) => (i % 2 === 0 ? a : b)
    const users = await Promise.all(Array.from({ length: 50 }, (_, i) => half(i).inject({ method: 'POST', url: '/user', headers: AUTH, payload: { name: 'Jane', object_id: 'ic_user' } })))
    t.same(new Set(users.map((r) => r.statusCode)), new Set([201]))
    t.equal(new Set(users.map((r) => r.json().id)).size, 1)
    const userId = users[0]!.json().id
    const conversations = await Promise.all(Array.from({ length: 50 }, (_, i) => half(i).inject({
      method: 'POST', url: '/create_conversation', headers: AUTH, payload: { user: { id: userId }, object_id: 'ic_conv', initial_message: { body: 'hi', object_id: 'ic_first' } }
    })))
    t.same(new Set(conversations.map((r) => r.statusCode)), new Set([201]))
    t.equal(new Set(conversations.map((r) => r.json().data.conversation.id)).size, 1)
    const conversationId = conversations[0]!.json().data.conversation.id
    const messages = await Promise.all(Array.from({ length: 50 }, (_, i) => half(i).inject({
      method: 'POST', url: '/messages', headers: AUTH, payload: { conversation_id: conversationId, body: '<p>x</p>', author: { id: FIN_AGENT.id, user_type: 'agent' }, object_id: 'ic_msg' }
    })))
    t.same(new Set(messages.map((r) => r.statusCode)), new Set([201]))
    t.equal(new Set(messages.map((r) => r.json().id)).size, 1)
    const counts = await pool.query(`SELECT (SELECT COUNT(*) FROM "${name}".users) AS users, (SELECT COUNT(*) FROM "${name}".conversations) AS conversations, (SELECT COUNT(*) FROM "${name}".messages) AS messages`)
    t.same(counts.rows[0], { users: '1', conversations: '1', messages: '2' })
  })

  t.test('200 sync calls spread over both instances: few POSTs, never two at once, the last after the last call', async (t) => {
    const fin = await FakeFin.start(t)
    fin.answer(...Array(50).fill({ status: 200, delay: 40 }))
    const name = schema('coalesce')
    const [a, b] = [await instance(t, pool, name, fin, { coalesceWindow: 100 }), await instance(t, pool, name, fin, { coalesceWindow: 100 })]
    let lastCall = 0
    for (let i = 0; i < 200; i++) {
      await (i % 2 === 0 ? a : b).notifyFin('conv_shared')
      lastCall = Date.now()
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    await until(async () => (await a.notifyFin.stats()).pending === 0 && (await b.notifyFin.stats()).in_flight === 0 && (await a.notifyFin.stats()).in_flight === 0, 'all delivered')
    const posts = fin.received.filter((r) => r.body.conversation_id === 'conv_shared')
    t.ok(posts.length >= 1 && posts.length <= 15, `${posts.length} POSTs for 200 calls`)
    t.equal(fin.maxPerConversation, 1, 'never two POSTs for the conversation at once, across instances')
    t.ok(posts[posts.length - 1]!.at >= lastCall, 'the last POST came after the last call')
  })

  t.test('a sync claimed by an instance that dies is delivered by another once its lease ends', async (t) => {
    const fin = await FakeFin.start(t)
    fin.answer('hang')
    const name = schema('lease')
    const env = {
      DATABASE_URL: PG_URL,
      FIN_DB_SCHEMA: name,
      FIN_API_TOKEN: 'fin-token-0123456789abcdef',
      CONSOLE_TOKEN: 'console-0123456789abcdef',
      FIN_RATE_LIMIT: '0',
      FIN_INTEGRATION_ID: 'int',
      FIN_WEBHOOK_KEY: 'k',
      FIN_BASE_URL: fin.url,
      FIN_NOTIFY_LEASE_MS: '1000'
    }
    const doomed = await startHelpdesk(t, env, ['--postgres'])
    const other = await startHelpdesk(t, { ...env, FIN_BASE_URL: `${fin.url}/other` }, ['--postgres'])
    const post = (base: string, url: string, headers: object, body: unknown) => fetch(`${base}${url}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    // The two processes act as one helpdesk: created through one, seen through the other.
    const user = await (await post(doomed.base, '/user', AUTH, { name: 'Jane' })).json() as { id: string }
    const created = await (await post(other.base, '/conversation', AUTH, { user_id: user.id, initial_message: { body: 'hi' } })).json() as { conversation: { id: string } }
    const id = created.conversation.id
    t.equal((await fetch(`${doomed.base}/conversation?conversation_id=${id}`, { headers: AUTH })).status, 200, 'one database behind both')

    t.equal((await post(doomed.origin, `/console/conversations/${id}/messages`, { authorization: 'Bearer console-0123456789abcdef' }, { author_id: 'agent_sarah', body: 'On it' })).status, 201)
    const [claimed] = await fin.waitFor(1)
    t.equal(claimed!.path, '/custom_helpdesk_conversation_event/int', 'the first instance claimed it and is mid-POST')
    doomed.child.kill('SIGKILL')
    await doomed.exited
    const events = await fin.waitFor(2)
    t.match(events[1], { path: '/other/custom_helpdesk_conversation_event/int', body: { conversation_id: id } }, 'delivered by the survivor')
    t.ok(events[1]!.at - claimed!.at >= 900, 'after the lease ran out')
    other.child.kill('SIGTERM')
    t.equal(await other.exited, 0)
  })
})
