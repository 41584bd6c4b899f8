import t from 'tap'
import type { FinEventMap } from '../../../lib/index.js'
import { buildApp, FIN_AGENT, HUMAN_AGENT } from '../../fixtures/app.js'
import { assertError, client, conversationInput, VARIANTS } from '../../fixtures/client.js'

for (const variant of VARIANTS) {
  t.test(`${variant}: create_conversation answers 201 { conversation, message }`, async (t) => {
    const { app, call } = await buildApp(t)
    const op = client(call, variant)
    const user = (await op('createUser', { name: 'Jane', email: 'jane@example.com', object_id: 'u1' })).data
    const events: Array<keyof FinEventMap> = []
    app.fin.events.on('conversation.created', () => { events.push('conversation.created') })
    app.fin.events.on('message.created', () => { events.push('message.created') })
    const attributes = { issue_type: 'Billing', priority: 'High' }
    const input = variant === 'standard'
      ? conversationInput(variant, user.id, { object_id: 'ic_c1' }, { object_id: 'ic_m1', attributes })
      : conversationInput(variant, user.id, { object_id: 'ic_c1', attributes }, { object_id: 'ic_m1' })
    const created = await op('createConversation', input)
    t.equal(created.status, 201)
    const { conversation, message } = created.data
    t.match(conversation, {
      id: /^conv_/,
      status: 'open',
      title: 'Pricing',
      tags: [],
      attributes,
      user: { id: user.id, user_type: 'end_user', name: 'Jane', email: 'jane@example.com' }
    })
    t.notOk('assignee' in conversation, 'no assignee key while unassigned')
    t.match(message, {
      id: /^msg_/,
      conversation_id: conversation.id,
      message_type: 'comment',
      body: '<p>I need help with pricing</p>',
      visibility: 'public',
      author: { id: user.id, user_type: 'end_user', name: 'Jane' },
      attachments: []
    })
    t.same(events, ['conversation.created', 'message.created'])

    const again = await op('createConversation', input)
    t.equal(again.status, 201)
    t.same(again.data, created.data, 'a repeat answers the first conversation and message')
    t.equal(events.length, 2, 'no event for the repeat')

    const got = await op('getConversation', { conversation_id: conversation.id })
    t.equal(got.status, 200)
    t.same(got.data, conversation)
  })

  t.test(`${variant}: 20 concurrent identical create_conversation make one`, async (t) => {
    const { call } = await buildApp(t)
    const op = client(call, variant)
    const user = (await op('createUser', { name: 'Jane' })).data
    const input = conversationInput(variant, user.id, { object_id: 'ic_burst' }, { object_id: 'ic_burst_m' })
    const results = await Promise.all(Array.from({ length: 20 }, () => op('createConversation', input)))
    t.same(results.map((r) => r.status), Array(20).fill(201))
    t.equal(new Set(results.map((r) => r.data.conversation.id)).size, 1)
    t.equal(new Set(results.map((r) => r.data.message.id)).size, 1)
    const messages = await op('getMessages', { conversation_id: results[0]!.data.conversation.id })
    t.equal(messages.data.length, 1)
  })

  t.test(`${variant}: a conversation object_id of another user is 409 and reveals nothing of it`, async (t) => {
    const { call } = await buildApp(t)
    const op = client(call, variant)
    const jane = (await op('createUser', { name: 'Jane' })).data
    const eve = (await op('createUser', { name: 'Eve' })).data
    const first = await op('createConversation', conversationInput(variant, jane.id, { object_id: 'ic_c' }, { body: '<p>secret plan</p>' }))
    t.equal(first.status, 201)
    const stolen = await op('createConversation', conversationInput(variant, eve.id, { object_id: 'ic_c' }))
    assertError(t, variant, stolen.res, 409, 'FIN_ERR_OBJECT_ID_CONFLICT')
    t.notMatch(stolen.res.body, /secret|Jane|conv_|msg_/, 'nothing of the other conversation in the answer')
    const unknown = await op('createConversation', conversationInput(variant, 'missing', { object_id: 'ic_c' }))
    assertError(t, variant, unknown.res, 404, 'FIN_ERR_USER_NOT_FOUND')
    const retry = await op('createConversation', conversationInput(variant, jane.id, { object_id: 'ic_c' }))
    t.equal(retry.status, 201)
    t.same(retry.data, first.data, 'the same user\'s retry answers the first conversation')
  })

  t.test(`${variant}: create_conversation refuses bad input and writes nothing`, async (t) => {
    const { call } = await buildApp(t)
    const op = client(call, variant)
    const user = (await op('createUser', { name: 'Jane' })).data
    assertError(t, variant, (await op('createConversation', conversationInput(variant, 'ghost', { object_id: 'x1' }))).res, 404, 'FIN_ERR_USER_NOT_FOUND')
    assertError(t, variant, (await op('createConversation', conversationInput(variant, user.id, { object_id: 'x1' }, { body: '' }))).res, 400, 'FIN_ERR_EMPTY_MESSAGE')
    assertError(t, variant, (await op('createConversation', conversationInput(variant, user.id, { object_id: 'x1' }, { author: { id: 'ghost', user_type: 'agent' } }))).res, 404, 'FIN_ERR_AGENT_NOT_FOUND')
    assertError(t, variant, (await op('createConversation', conversationInput(variant, user.id, { object_id: 'x1', initial_message: undefined }))).res, 400, 'FIN_ERR_VALIDATION', /initial_message/)
    assertError(t, variant, (await op('createConversation', conversationInput(variant, user.id, { object_id: 'x1' }, { visibility: 'secret' }))).res, 400, 'FIN_ERR_VALIDATION', /visibility/)
    const ok = await op('createConversation', conversationInput(variant, user.id, { object_id: 'x1' }))
    t.equal(ok.status, 201, 'object_id x1 was never used by the failed calls')
    t.equal((await op('getMessages', { conversation_id: ok.data.conversation.id })).data.length, 1)
  })

  t.test(`${variant}: update_conversation changes only what is sent`, async (t) => {
    const { app, call } = await buildApp(t)
    const op = client(call, variant)
    const user = (await op('createUser', { name: 'Jane' })).data
    const { conversation } = (await op('createConversation', conversationInput(variant, user.id))).data
    const updates: FinEventMap['conversation.updated'][] = []
    app.fin.events.on('conversation.updated', (payload) => { updates.push(payload) })

    const assigned = await op('updateConversation', { conversation_id: conversation.id, assignee_id: FIN_AGENT.id, tags: ['pricing', 'sales'], attributes: { topic: 'plans' } })
    t.equal(assigned.status, 200)
    t.match(assigned.data, {
      id: conversation.id,
      status: 'open',
      title: 'Pricing',
      tags: ['pricing', 'sales'],
      attributes: { topic: 'plans' },
      assignee: { id: FIN_AGENT.id, user_type: 'agent', name: 'Fin', email: 'fin@example.com', alias: 'Fin' }
    })
    const resolved = await op('updateConversation', { conversation_id: conversation.id, status: 'resolved', title: 'Pricing - resolved', last_user_read_at: '2025-10-27T15:45:00.000Z' })
    t.match(resolved.data, { status: 'resolved', title: 'Pricing - resolved', tags: ['pricing', 'sales'], assignee: { id: FIN_AGENT.id } })
    t.equal(updates.length, 2)
    t.same((await op('getConversation', { conversation_id: conversation.id })).data, resolved.data)
  })

  t.test(`${variant}: assignee_id null is a handover`, async (t) => {
    const { app, call } = await buildApp(t)
    const op = client(call, variant)
    const user = (await op('createUser', { name: 'Jane' })).data
    const { conversation } = (await op('createConversation', conversationInput(variant, user.id))).data
    await op('updateConversation', { conversation_id: conversation.id, assignee_id: FIN_AGENT.id })
    const handovers: FinEventMap['conversation.handover'][] = []
    app.fin.events.on('conversation.handover', (payload) => { handovers.push(payload) })
    const handedOver = await op('updateConversation', { conversation_id: conversation.id, assignee_id: null })
    t.equal(handedOver.status, 200)
    t.notOk('assignee' in handedOver.data, 'the assignee becomes null')
    t.equal(handovers.length, 1)
    t.match(handovers[0], { integration: 'default', previous_assignee_id: FIN_AGENT.id, conversation: { id: conversation.id } })
    await op('updateConversation', { conversation_id: conversation.id, assignee_id: null })
    t.equal(handovers.length, 2, 'a repeated handover fires again ...')
    t.equal(handovers[1]!.previous_assignee_id, null, '... with previous_assignee_id null, so listeners can tell')
    const human = await op('updateConversation', { conversation_id: conversation.id, assignee_id: HUMAN_AGENT.id })
    t.match(human.data.assignee, { id: HUMAN_AGENT.id, name: 'Sarah Johnson' })
    t.equal(handovers.length, 2, 'assigning someone is no handover')
  })

  t.test(`${variant}: update_conversation errors write nothing`, async (t) => {
    const { call } = await buildApp(t)
    const op = client(call, variant)
    const user = (await op('createUser', { name: 'Jane' })).data
    const { conversation } = (await op('createConversation', conversationInput(variant, user.id))).data
    assertError(t, variant, (await op('updateConversation', { conversation_id: 'ghost', status: 'closed' })).res, 404, 'FIN_ERR_CONVERSATION_NOT_FOUND', /ghost/)
    assertError(t, variant, (await op('updateConversation', { conversation_id: conversation.id, status: 'closed', assignee_id: 'ghost' })).res, 404, 'FIN_ERR_AGENT_NOT_FOUND', /ghost/)
    assertError(t, variant, (await op('updateConversation', { conversation_id: conversation.id, status: 'archived' })).res, 400, 'FIN_ERR_VALIDATION', /status/)
    assertError(t, variant, (await op('updateConversation', { conversation_id: conversation.id, tags: 'a,b' })).res, 400, 'FIN_ERR_VALIDATION', /tags/)
    assertError(t, variant, (await op('updateConversation', { conversation_id: conversation.id, last_user_read_at: 'yesterday' })).res, 400, 'FIN_ERR_VALIDATION', /last_user_read_at/)
    assertError(t, variant, (await op('updateConversation', { status: 'closed' })).res, 400, 'FIN_ERR_VALIDATION', /conversation_id/)
    assertError(t, variant, (await op('getConversation', { conversation_id: 'ghost' })).res, 404, 'FIN_ERR_CONVERSATION_NOT_FOUND')
    t.same((await op('getConversation', { conversation_id: conversation.id })).data, conversation, 'unchanged')
  })
}

t.test('posts-only: update_conversation carries the user, applied in the same write', async (t) => {
  const { app, call } = await buildApp(t)
  const op = client(call, 'posts-only')
  const user = (await op('createUser', { name: 'Jane' })).data
  const { conversation } = (await op('createConversation', conversationInput('posts-only', user.id))).data
  const userEvents: unknown[] = []
  app.fin.events.on('user.updated', (payload) => { userEvents.push(payload) })
  const updated = await op('updateConversation', {
    conversation_id: conversation.id,
    status: 'open',
    user: { id: user.id, name: 'Jane Doe', email: 'jane.doe@example.com', user_type: 'end_user', attributes: { plan_type: 'enterprise' } }
  })
  t.equal(updated.status, 200)
  t.match(updated.data.user, { id: user.id, name: 'Jane Doe', email: 'jane.doe@example.com', attributes: { plan_type: 'enterprise' } })
  t.match((await op('getUser', { user_id: user.id })).data, { name: 'Jane Doe', attributes: { plan_type: 'enterprise' } })
  t.equal(userEvents.length, 1)
  const other = (await op('createUser', { name: 'Bob' })).data
  const mismatch = await op('updateConversation', { conversation_id: conversation.id, status: 'closed', user: { id: other.id, name: 'Bob' } })
  assertError(t, 'posts-only', mismatch.res, 400, 'FIN_ERR_USER_MISMATCH')
  t.equal((await op('getConversation', { conversation_id: conversation.id })).data.status, 'open', 'status not changed by the refused update')
})
