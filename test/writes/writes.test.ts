import t, { type Test } from 'tap'
import { MemoryOutbox, MemoryStorage } from '../../lib/index.js'
import type { FinEventName } from '../../lib/events.js'
import { buildApp, HUMAN_AGENT, seedConversation } from '../fixtures/app.js'
import { FakeFin } from '../fixtures/fake-fin.js'

// The write API (app.fin.createMessage...): the one path of Fin's writes and the host's. Same events whoever wrote;
// the host's changes reach Fin (a sync), Fin's are not echoed back.

const NAMES: FinEventName[] = ['user.created', 'user.updated', 'conversation.created', 'conversation.updated', 'conversation.handover', 'message.created']

/** Every event the plugin emits, with its payload, in order; ids and times replaced so two runs compare. */
function record (app: Awaited<ReturnType<typeof buildApp>>['app']): Array<[string, unknown]> {
  const seen: Array<[string, unknown]> = []
  for (const name of NAMES) app.fin.events.on(name, (payload) => { seen.push([name, payload]) })
  return seen
}

function normalized (value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => {
    if (typeof v !== 'string') return v
    if (/_at$/.test(key)) return '<time>'
    return v.replace(/^(usr|conv|msg)_[0-9a-f]{32}$/, '<$1>')
  })
}

async function withFin (t: Test, storage = new MemoryStorage()) {
  const fin = await FakeFin.start(t)
  const built = await buildApp(t, {
    storage,
    notify: { integrationId: 'int_1', webhookKey: 'hook-key', baseUrl: fin.url, coalesceWindow: 0, outbox: new MemoryOutbox() }
  })
  return { fin, ...built }
}

t.test('host writes through the API emit the same events as the same writes by Fin', async (t) => {
  const byFin = await withFin(t)
  const finEvents = record(byFin.app)
  const fin = await seedConversation(byFin.call)
  finEvents.length = 0
  await byFin.call('POST', '/messages', { conversation_id: fin.conversationId, author: { id: HUMAN_AGENT.id, user_type: 'agent' }, body: '<p>Hi</p><script>x</script>' })
  await byFin.call('PUT', '/conversation', { conversation_id: fin.conversationId, status: 'resolved', assignee_id: HUMAN_AGENT.id, tags: ['vip'], attributes: { a: 1 } })
  await byFin.call('PUT', '/conversation', { conversation_id: fin.conversationId, assignee_id: null })
  await byFin.call('PUT', '/user', { user_id: fin.userId, attributes: { plan: 'pro' } })
  await byFin.call('POST', '/user', { name: 'Ann', object_id: 'ann' })

  const byHost = await withFin(t)
  const hostEvents = record(byHost.app)
  const host = await seedConversation(byHost.call)
  hostEvents.length = 0
  const message = await byHost.app.fin.createMessage(host.conversationId, { author: { id: HUMAN_AGENT.id, user_type: 'agent' }, body: '<p>Hi</p><script>x</script>' })
  t.equal(message.body, '<p>Hi</p>', 'sanitized as the routes do')
  await byHost.app.fin.updateConversation(host.conversationId, { status: 'resolved', assignee_id: HUMAN_AGENT.id, tags: ['vip'], attributes: { a: 1 } })
  await byHost.app.fin.handover(host.conversationId)
  await byHost.app.fin.updateUser(host.userId, { attributes: { plan: 'pro' } })
  await byHost.app.fin.createUser({ name: 'Ann', object_id: 'ann' })

  t.same(hostEvents.map(([name]) => name), ['message.created', 'conversation.updated', 'conversation.updated', 'conversation.handover', 'user.updated', 'user.created'])
  t.same(normalized(hostEvents), normalized(finEvents), 'the same events with the same payloads')

  // Fin's own changes are not echoed back to it; the host's reach it (one sync each, coalesced per conversation).
  const [sync] = await byHost.fin.waitFor(1)
  t.same(sync!.body, { conversation_id: host.conversationId })
  t.equal(byFin.fin.received.length, 0, 'no webhook for Fin\'s own writes')
  t.same(await byFin.app.notifyFin.stats(), { pending: 0, in_flight: 0, delivered: 0, failed: 0 }, 'nothing waits either')
})

t.test('notify.queued: once per host write that left a sync in the outbox, after it committed; never for Fin\'s writes or a refused one', async (t) => {
  const { app, call } = await withFin(t)
  const queued: string[] = []
  app.fin.events.on('notify.queued', ({ conversation_id: id, kind }) => { queued.push(`${kind}:${id}`) })
  const { conversationId } = await seedConversation(call)
  await call('POST', '/messages', { conversation_id: conversationId, author: { id: HUMAN_AGENT.id, user_type: 'agent' }, body: '<p>by Fin</p>' })
  t.same(queued, [], 'Fin\'s writes are not echoed to Fin')
  await app.fin.createMessage(conversationId, { author: { id: HUMAN_AGENT.id, user_type: 'agent' }, body: '<p>by the host</p>' })
  t.same(queued, [`sync:${conversationId}`], 'in the outbox by the time the write answers')
  await app.fin.updateConversation(conversationId, { status: 'resolved' })
  await app.notifyFin(conversationId)
  t.same(queued, [`sync:${conversationId}`, `sync:${conversationId}`, `sync:${conversationId}`], 'an update, then notifyFin()')
  await t.rejects(app.fin.updateConversation(conversationId, { assignee_id: 'nobody' }), { code: 'FIN_ERR_AGENT_NOT_FOUND' })
  t.equal(queued.length, 3, 'a refused write queues nothing')
})

t.test('the write API checks its input as the routes do: same coded errors, nothing written', async (t) => {
  const { app, call } = await withFin(t)
  const { conversationId, userId } = await seedConversation(call)
  const agent = { id: HUMAN_AGENT.id, user_type: 'agent' as const }
  const cases: Array<[string, () => Promise<unknown>, string, RegExp?]> = [
    ['bad conversation id', () => app.fin.createMessage('', { author: agent, body: 'x' }), 'FIN_ERR_VALIDATION', /conversationId/],
    ['no author', () => app.fin.createMessage(conversationId, { body: 'x' } as never), 'FIN_ERR_VALIDATION', /input must have required property 'author'/],
    ['empty once sanitized', () => app.fin.createMessage(conversationId, { author: agent, body: '<script>x</script>' }), 'FIN_ERR_EMPTY_MESSAGE'],
    ['unknown author', () => app.fin.createMessage(conversationId, { author: { id: 'ghost', user_type: 'agent' }, body: 'x' }), 'FIN_ERR_AGENT_NOT_FOUND'],
    ['unknown conversation', () => app.fin.createMessage('ghost', { author: agent, body: 'x' }), 'FIN_ERR_CONVERSATION_NOT_FOUND'],
    ['bad status', () => app.fin.updateConversation(conversationId, { status: 'archived' } as never), 'FIN_ERR_VALIDATION', /input\/status/],
    ['unknown assignee', () => app.fin.updateConversation(conversationId, { status: 'closed', assignee_id: 'ghost' }), 'FIN_ERR_AGENT_NOT_FOUND'],
    ['another user', () => app.fin.updateConversation(conversationId, { status: 'closed', user: { id: 'someone' } }), 'FIN_ERR_USER_MISMATCH'],
    ['too deep', () => app.fin.updateUser(userId, { attributes: deep(12) }), 'FIN_ERR_VALIDATION', /nested deeper/],
    ['unknown user', () => app.fin.updateUser('ghost', { attributes: {} }), 'FIN_ERR_USER_NOT_FOUND'],
    ['bad user input', () => app.fin.createUser({ name: 42 } as never), 'FIN_ERR_VALIDATION'],
    ['typing: unknown agent', () => app.fin.typing(conversationId, 'ghost'), 'FIN_ERR_AGENT_NOT_FOUND'],
    ['typing: unknown conversation', () => app.fin.typing('ghost', HUMAN_AGENT.id), 'FIN_ERR_CONVERSATION_NOT_FOUND'],
    ['unknown integration', () => app.fin.handover(conversationId, { integration: 'brand-b' }), 'FIN_ERR_OPTIONS']
  ]
  const before = await app.fin.storage.getConversation(conversationId)
  for (const [name, call, code, message] of cases) await t.rejects(call(), { code, ...(message === undefined ? {} : { message }) }, name)
  t.same(await app.fin.storage.getConversation(conversationId), before, 'nothing changed')
  t.equal((await app.fin.storage.listMessages(conversationId))!.length, 1, 'no message added')
  t.same(await app.notifyFin.stats(), { pending: 0, in_flight: 0, delivered: 0, failed: 0 }, 'and nothing sent to Fin')
})

t.test('typing, notifyFin: false, and idempotent replies through the API', async (t) => {
  const { app, call, fin } = await withFin(t)
  const { conversationId } = await seedConversation(call)
  t.equal(await app.fin.typing(conversationId, HUMAN_AGENT.id), true)
  t.equal(await app.fin.typing(conversationId, HUMAN_AGENT.id), false, 'throttled')
  const [typed] = await fin.waitFor(1)
  t.same(typed!.body, { conversation_id: conversationId, event_type: 'agent_typing', data: { agent: { id: HUMAN_AGENT.id, user_type: 'agent', name: HUMAN_AGENT.name, email: HUMAN_AGENT.email } } })

  await app.fin.updateConversation(conversationId, { title: 'quiet' }, { notifyFin: false })
  t.equal((await app.notifyFin.stats()).pending, 0, 'notifyFin: false enqueues nothing')

  const handovers: Array<string | null> = []
  app.fin.events.on('conversation.handover', (e) => { handovers.push(e.previous_assignee_id) })
  await app.fin.updateConversation(conversationId, { assignee_id: HUMAN_AGENT.id })
  const unassigned = await app.fin.updateConversation(conversationId, { assignee_id: null })
  t.equal(unassigned.assignee, undefined)
  t.same(handovers, [], 'an agent letting go is no handover')
  await app.fin.updateConversation(conversationId, { assignee_id: HUMAN_AGENT.id })
  await app.fin.handover(conversationId)
  t.same(handovers, [HUMAN_AGENT.id], 'handover() is one, as Fin\'s')

  const input = { object_id: 'reply-1', author: { id: HUMAN_AGENT.id, user_type: 'agent' as const }, body: 'once' }
  const first = await app.fin.createMessage(conversationId, input)
  const again = await app.fin.createMessage(conversationId, input)
  t.same(again, first, 'a repeat answers the first message')
  const [, sync] = await fin.waitFor(2)
  t.same(sync!.body, { conversation_id: conversationId })
  t.equal((await app.fin.storage.listMessages(conversationId))!.length, 2)
})

t.test('attribute limits are checked before the work: an update far over them is refused at once, nothing written', async (t) => {
  let merged = 0
  // The storage's merge is never reached: the refusal comes from the pre-check, before it.
  class Counting extends MemoryStorage {
    override async updateConversation (...args: Parameters<MemoryStorage['updateConversation']>) { merged++; return super.updateConversation(...args) }
    override async updateUser (...args: Parameters<MemoryStorage['updateUser']>) { merged++; return super.updateUser(...args) }
  }
  const { app, call } = await withFin(t, new Counting())
  const { conversationId, userId } = await seedConversation(call)
  const huge = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, i]))
  await t.rejects(app.fin.updateConversation(conversationId, { attributes: huge }), { code: 'FIN_ERR_ATTRIBUTES_TOO_LARGE', message: /60000 keys, over the limit of 500 keys/ })
  const res = await call('PUT', '/conversation', { conversation_id: conversationId, attributes: huge })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'FIN_ERR_ATTRIBUTES_TOO_LARGE')
  await t.rejects(app.fin.updateUser(userId, { attributes: huge }), { code: 'FIN_ERR_ATTRIBUTES_TOO_LARGE', message: /user's attributes/ })
  t.equal(merged, 0, 'the storage never saw them')
})

function deep (levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {}
  for (let i = 0; i < levels; i++) value = { a: value }
  return value
}
