import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { MemoryStorage } from '../../lib/index.js'
import { FinSimulator } from '../../lib/simulator/index.js'

async function helpdesk (t: Test, hack: (app: FastifyInstance) => void): Promise<{ base: string, storage: MemoryStorage }> {
  const storage = new MemoryStorage()
  await storage.upsertAgent({ id: 'agent_fin', name: 'Fin', email: 'fin@example.com' })
  const app = Fastify()
  t.teardown(() => app.close())
  hack(app)
  await app.register(finHelpdesk, { prefix: '/api/fin', tokens: ['tok-0123456789abcdef'], storage, rateLimit: false })
  return { base: `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/fin`, storage }
}

t.test('a failed create is retried with the same object_id: one message, even when the first one was stored', async (t) => {
  const seen: string[] = []
  let failures = 0
  const { base, storage } = await helpdesk(t, (app) => {
    app.addHook('onSend', async (request, reply, payload) => {
      if (!request.url.endsWith('/messages') || request.method !== 'POST') return payload
      seen.push((request.body as { object_id: string }).object_id)
      // The first two answers are lost after the message was stored, as on a timeout or a dropped connection.
      if (failures++ < 2) reply.code(502)
      return payload
    })
  })
  const sim = new FinSimulator({ baseUrl: base, token: 'tok-0123456789abcdef' })
  const { conversationId } = await sim.startConversation({ name: 'Jane', body: '<p>Hi</p>' })
  const id = await sim.finSays(conversationId, '<p>Fin here.</p>')
  t.equal(seen.length, 3, 'two failures, then success')
  t.equal(new Set(seen).size, 1, 'always the same object_id')
  t.same((await storage.listMessages(conversationId))!.map((m) => m.id).filter((m) => m === id), [id], 'one message')
  await sim.sync(conversationId)
  t.same(await sim.compare(conversationId), [])
})

t.test('the simulator gives up after createAttempts, naming the failure', async (t) => {
  const { base } = await helpdesk(t, (app) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.endsWith('/messages') && request.method === 'POST') return reply.code(503).type('application/json').send('{"down":true}')
    })
  })
  const sim = new FinSimulator({ baseUrl: base, token: 'tok-0123456789abcdef', createAttempts: 2 })
  const { conversationId } = await sim.startConversation({ name: 'Jane', body: 'Hi' })
  await t.rejects(sim.userSays(conversationId, 'again'), { message: /createMessage failed: 503/ })
})

t.test('Fin\'s webhook server checks the path, the integration id and X-Webhook-Key', async (t) => {
  const sim = new FinSimulator({ baseUrl: 'http://127.0.0.1:1', token: 'tok-0123456789abcdef', webhook: { integrationId: 'int_1', webhookKey: 'key' } })
  await sim.start()
  t.teardown(() => sim.close())
  const send = (path: string, key: string, body = '{"conversation_id":"c1"}') => fetch(`${sim.webhookBaseUrl}${path}`, { method: 'POST', headers: { 'x-webhook-key': key, 'content-type': 'application/json' }, body })
  t.equal((await send('/custom_helpdesk_conversation_event/int_1', 'wrong')).status, 401)
  t.equal((await send('/custom_helpdesk_conversation_event/other', 'key')).status, 404)
  t.equal((await send('/custom_helpdesk_conversation_event/int_1', 'key', 'not json')).status, 400)
  t.equal((await send('/custom_helpdesk_conversation_event/int_1', 'key', '{"conversation_id":"c1","event_type":"agent_typing","data":{"agent":{"id":"a","user_type":"agent","name":"A","email":"a@x"}}}')).status, 200)
  t.same(sim.errors, ['webhook with a wrong X-Webhook-Key', 'webhook to POST /custom_helpdesk_conversation_event/other, expected POST /custom_helpdesk_conversation_event/int_1', 'webhook body is not JSON'])
  t.match(sim.webhookEvents, [{ conversation_id: 'c1', event_type: 'agent_typing', agent: { id: 'a' } }], 'only the valid one is recorded')
})

t.test('with a signing secret the simulator signs every call with signFinRequest, and a signed helpdesk accepts it', async (t) => {
  const storage = new MemoryStorage()
  await storage.upsertAgent({ id: 'agent_fin', name: 'Fin', email: 'fin@example.com' })
  const app = Fastify()
  t.teardown(() => app.close())
  const signatures: string[] = []
  const paths: string[] = []
  app.addHook('onRequest', async (request) => { signatures.push(String(request.headers['x-fin-signature'])); paths.push(request.url) })
  await app.register(finHelpdesk, { prefix: '/api/fin', tokens: ['tok-0123456789abcdef'], storage, rateLimit: false, signature: { secrets: 'sim-secret-0123456789abcdef' } })
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/fin`
  const sim = new FinSimulator({ baseUrl: base, token: 'tok-0123456789abcdef', signingSecret: 'sim-secret-0123456789abcdef' })
  const { conversationId } = await sim.startConversation({ name: 'Jane', body: '<p>Hi</p>' })
  await sim.finSays(conversationId, '<p>Fin here.</p>')
  await sim.sync(conversationId)
  t.same(await sim.compare(conversationId), [])
  t.ok(signatures.length >= 7 && signatures.every((s) => /^[0-9a-f]{64}$/.test(s)), 'every call carried a hex signature')
  const read = paths.indexOf(`/api/fin/conversation?conversation_id=${conversationId}`)
  t.equal(paths[read + 1], `/api/fin/messages?conversation_id=${conversationId}`, 'the first sync asks no after_id')
  t.equal(signatures[read + 1], signatures[read], 'its two reads carry one signature, as Fin\'s do, and both pass')
  const unsigned = new FinSimulator({ baseUrl: base, token: 'tok-0123456789abcdef' })
  await t.rejects(unsigned.startConversation({ name: 'Jane', body: '<p>Hi</p>' }), { message: /createUser failed: 401/ })
})
