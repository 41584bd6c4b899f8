import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { FinSimulator } from '../../lib/simulator/index.js'
import { differences, FinSimulatorError } from '../../lib/simulator/simulator.js'
import { until } from '../fixtures/clock.js'

// The simulator when the helpdesk misbehaves: each failed step throws a FinSimulatorError naming the operation and
// its status, a sync started by a webhook records its failure, and misuse (unknown conversations, no webhook) is refused.

type Answer = { status: number, body?: unknown } | 'reset'
type Script = Record<string, Answer | ((body: any) => Answer)>

/** A helpdesk answering each "METHOD path" as scripted: by default a tiny standard helpdesk with one conversation. */
async function scripted (t: Test, overrides: Script = {}): Promise<{ url: string, seen: string[] }> {
  const seen: string[] = []
  const messages: any[] = [{ id: 'm1', body: 'Hi', author: { id: 'u1', user_type: 'end_user' }, visibility: 'public' }]
  const defaults: Script = {
    'GET /agents': { status: 200, body: [{ id: 'a1', name: 'Bot' }, { id: 'a2', name: 'Other' }] },
    'POST /user': { status: 201, body: { id: 'u1', name: 'Jane' } },
    'POST /conversation': { status: 201, body: { conversation: { id: 'c1', status: 'open' }, message: messages[0] } },
    'POST /messages': (body) => {
      const message = { id: `m${messages.length + 1}`, body: body.body, author: body.author, visibility: body.visibility }
      messages.push(message)
      return { status: 201, body: message }
    },
    'GET /conversation': { status: 200, body: { id: 'c1', status: 'open' } },
    'GET /messages': () => ({ status: 200, body: messages }),
    'GET /user': { status: 200, body: { id: 'u1', name: 'Jane' } },
    'PUT /conversation': { status: 200, body: { id: 'c1', status: 'open' } }
  }
  const script = { ...defaults, ...overrides }
  const server = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk: Buffer) => { text += chunk.toString() })
    req.on('end', () => {
      const key = `${req.method} ${new URL(req.url!, 'http://x').pathname}`
      seen.push(key)
      const entry = script[key]
      const answer = typeof entry === 'function' ? entry(text === '' ? {} : JSON.parse(text)) : entry ?? { status: 404, body: { error: 'no route' } }
      if (answer === 'reset') return req.socket.destroy()
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body === undefined ? '' : JSON.stringify(answer.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

t.test('the agent: "Fin" when listed, else the first; a given agentId must be listed; get_agents must answer a list', async (t) => {
  const { url } = await scripted(t)
  t.match(await new FinSimulator({ baseUrl: url, token: 'tok' }).agent(), { id: 'a1' }, 'no "Fin": the first')
  t.match(await new FinSimulator({ baseUrl: url, token: 'tok', agentId: 'a2' }).agent(), { id: 'a2' })
  await t.rejects(new FinSimulator({ baseUrl: url, token: 'tok', agentId: 'nobody' }).agent(), new FinSimulatorError('get_agents lists no agent for Fin to write as'))
  const empty = await scripted(t, { 'GET /agents': { status: 200, body: [] } })
  await t.rejects(new FinSimulator({ baseUrl: empty.url, token: 'tok' }).agent(), { message: 'get_agents lists no agent for Fin to write as' })
  const broken = await scripted(t, { 'GET /agents': { status: 500, body: { error: 'down' } } })
  const error = await new FinSimulator({ baseUrl: broken.url, token: 'tok' }).agent().catch((err: unknown) => err)
  t.ok(error instanceof FinSimulatorError)
  t.match(error, { message: 'get_agents answered 500', response: { status: 500, body: { error: 'down' } } })
  const notList = await scripted(t, { 'GET /agents': { status: 200, body: { data: [] } } })
  await t.rejects(new FinSimulator({ baseUrl: notList.url, token: 'tok' }).agent(), { message: 'get_agents answered 200' })
})

t.test('each step of a sync that fails throws, naming the operation and its status', async (t) => {
  for (const [key, message] of [
    ['GET /conversation', 'get_conversation answered 404'],
    ['GET /messages', 'get_messages answered 404'],
    ['GET /user', 'get_user answered 404'],
    ['PUT /conversation', 'update_conversation answered 404']
  ] as const) {
    const { url } = await scripted(t, { [key]: { status: 404, body: { error: 'gone' } } })
    const sim = new FinSimulator({ baseUrl: url, token: 'tok' })
    const { conversationId } = await sim.startConversation({ name: 'Jane', body: 'Hi' })
    await t.rejects(sim.sync(conversationId), { message, response: { status: 404 } }, key)
  }
  const { url } = await scripted(t, { 'PUT /conversation': { status: 409, body: { error: 'assigned' } } })
  const sim = new FinSimulator({ baseUrl: url, token: 'tok' })
  const { conversationId } = await sim.startConversation({ name: 'Jane', body: 'Hi' })
  await t.rejects(sim.handover(conversationId), { message: 'handover answered 409' })
  const listless = await scripted(t, { 'GET /messages': { status: 200, body: { messages: [] } } })
  const other = new FinSimulator({ baseUrl: listless.url, token: 'tok' })
  const started = await other.startConversation({ name: 'Jane', body: 'Hi' })
  await t.rejects(other.compare(started.conversationId), { message: 'get_messages answered 200' }, 'compare needs a list')
})

t.test('a sync after a known message asks after_id and skips what Fin has; a network failure is retried, then named', async (t) => {
  const { url, seen } = await scripted(t)
  const sim = new FinSimulator({ baseUrl: url, token: 'tok' })
  const { conversationId, messageId } = await sim.startConversation({ name: 'Jane', body: 'Hi' })
  const id = await sim.finSays(conversationId, 'Hello')
  await sim.sync(conversationId)
  t.same(sim.transcript(conversationId).map((m) => m.id), [messageId, id], 'the helpdesk listed everything: the first message not duplicated')
  t.same(await sim.compare(conversationId), [])
  t.ok(seen.includes('GET /messages'))

  const reset = await scripted(t, { 'POST /user': 'reset' })
  const failing = new FinSimulator({ baseUrl: reset.url, token: 'tok', createAttempts: 2 })
  await t.rejects(failing.startConversation({ name: 'Jane', body: 'Hi' }), { message: /^createUser failed: TypeError: fetch failed$/ })
  t.same(reset.seen, ['POST /user', 'POST /user'], 'two attempts')
  const empty = await scripted(t, { 'POST /user': { status: 201 } })
  await t.rejects(new FinSimulator({ baseUrl: empty.url, token: 'tok', createAttempts: 5 }).startConversation({ name: 'Jane', body: 'Hi' }), { message: 'createUser failed: 201 ' }, 'a 2xx without an object is not retried')
  t.same(empty.seen, ['POST /user'])
})

t.test('misuse: conversations it did not start, the webhook URL without a webhook', async (t) => {
  const sim = new FinSimulator({ baseUrl: 'http://127.0.0.1:1', token: 'tok' })
  t.throws(() => sim.transcript('c9'), new FinSimulatorError('conversation c9 was not started by this simulator'))
  t.throws(() => sim.userSays('c9', 'x'), { message: 'conversation c9 was not started by this simulator' })
  t.throws(() => sim.webhookBaseUrl, { message: 'start() the simulator with webhook options first' })
  await sim.start()
  t.throws(() => sim.webhookBaseUrl, { message: 'start() the simulator with webhook options first' }, 'start() without webhook options starts nothing')
  t.same(sim.conversations(), [])
  await sim.close()
})

t.test('a webhook starts a sync; its failure is recorded in errors; a second start() keeps the same server', async (t) => {
  const { url, seen } = await scripted(t, { 'GET /conversation': { status: 503, body: { error: 'busy' } } })
  const sim = new FinSimulator({ baseUrl: url, token: 'tok', webhook: { integrationId: 'int 1', webhookKey: 'key' } })
  await sim.start()
  const first = sim.webhookBaseUrl
  await sim.start()
  t.equal(sim.webhookBaseUrl, first)
  t.teardown(() => sim.close())
  const { conversationId } = await sim.startConversation({ name: 'Jane', body: 'Hi' })
  const send = (body: unknown) => fetch(`${first}/custom_helpdesk_conversation_event/int%201`, { method: 'POST', headers: { 'x-webhook-key': 'key' }, body: JSON.stringify(body) })
  t.equal((await send({ conversation_id: 'not-mine' })).status, 200, 'a conversation Fin does not know: accepted, no sync')
  t.equal((await send({ conversation_id: conversationId, event_type: 'agent_typing' })).status, 200, 'typing: no sync')
  t.equal((await send({ conversation_id: conversationId })).status, 200)
  // The events are handled in order: once the last one's sync failed, the two before it had their chance to sync.
  await until(() => sim.errors.length > 0, 'the sync of the known conversation')
  await sim.idle()
  t.same(sim.errors, [`sync of ${conversationId}: get_conversation answered 503`])
  t.equal(seen.filter((s) => s === 'GET /conversation').length, 1, 'one sync, for the sync event of a known conversation')
  t.match(sim.webhookEvents, [{ conversation_id: 'not-mine', event_type: null }, { event_type: 'agent_typing' }, { conversation_id: conversationId, event_type: null }])
})

t.test('posts-only: the conversation is created with the user object, answers read from data', async (t) => {
  const bodies: any[] = []
  const { url } = await scripted(t, {
    'POST /create_user': { status: 200, body: { data: { id: 'u1', name: 'Jane' } } },
    'POST /create_conversation': (body) => { bodies.push(body); return { status: 200, body: { data: { conversation: { id: 'c1' }, message: { id: 'm1', body: 'Hi', author: { id: 'u1', user_type: 'end_user' }, visibility: 'public' } } } } }
  })
  const sim = new FinSimulator({ baseUrl: url, token: 'tok', variant: 'posts-only' })
  t.same(await sim.startConversation({ name: 'Jane', email: 'j@example.com', body: 'Hi', title: 'Help' }), { conversationId: 'c1', userId: 'u1', messageId: 'm1' })
  t.match(bodies[0], { user: { id: 'u1', name: 'Jane', email: 'j@example.com', user_type: 'end_user' }, title: 'Help', initial_message: { body: 'Hi' } })
})

t.test('differences: a message without body, author or visibility on either side', async (t) => {
  const fin = [{ id: 'm1', body: null, author_id: 'u1', author_type: 'end_user', visibility: 'public' }]
  t.same(differences(fin, [{ id: 'm1', body: 'x', author_id: 'u2', author_type: 'agent', visibility: 'private' }]).map((d) => d.detail), [
    'body: Fin has null, the helpdesk "x"',
    'author_id: Fin has "u1", the helpdesk "u2"',
    'author_type: Fin has "end_user", the helpdesk "agent"',
    'visibility: Fin has "public", the helpdesk "private"'
  ])
  t.same(differences([], []), [])
})
