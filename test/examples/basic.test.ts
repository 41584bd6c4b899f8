import t from 'tap'
import { buildBasicApp } from '../../examples/basic.js'

t.test('examples/basic: Fin creates a conversation, replies, and hands over', async (t) => {
  const app = await buildBasicApp({ token: 'example-token-0123456789' })
  t.teardown(() => app.close())
  const headers = { authorization: 'Bearer example-token-0123456789' }
  const handovers: string[] = []
  app.fin.events.on('conversation.handover', ({ conversation }) => { handovers.push(conversation.id) })

  const agents = await app.inject({ url: '/api/fin/agents', headers })
  t.same(agents.json().map((a: { id: string }) => a.id), ['agent_fin'])
  const user = await app.inject({ method: 'POST', url: '/api/fin/user', headers, payload: { name: 'Jane', email: 'jane@example.com', object_id: 'ic_u' } })
  t.equal(user.statusCode, 201)
  const created = await app.inject({
    method: 'POST',
    url: '/api/fin/conversation',
    headers,
    payload: { user_id: user.json().id, object_id: 'ic_c', initial_message: { body: '<p>Can I get a refund?</p>', object_id: 'ic_m0' } }
  })
  t.equal(created.statusCode, 201)
  const conversationId = created.json().conversation.id
  const reply = await app.inject({
    method: 'POST',
    url: '/api/fin/create_message',
    headers,
    payload: { conversation_id: conversationId, body: '<p>Let me get a human.</p>', author: { id: 'agent_fin', user_type: 'agent' }, object_id: 'ic_m1' }
  })
  t.equal(reply.statusCode, 201)
  const handover = await app.inject({ method: 'PUT', url: '/api/fin/conversation', headers, payload: { conversation_id: conversationId, assignee_id: null } })
  t.equal(handover.statusCode, 200)
  t.same(handovers, [conversationId])
  const messages = await app.inject({ url: `/api/fin/messages?conversation_id=${conversationId}`, headers })
  t.same(messages.json().map((m: { body: string }) => m.body), ['<p>Can I get a refund?</p>', '<p>Let me get a human.</p>'])
})
