import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { MemoryOutbox, MemoryStorage, type FinOutbox } from '../../lib/index.js'
import type { FinEventName } from '../../lib/events.js'
import { SqliteOutbox } from '../../lib/sqlite/index.js'
import { buildApp, FIN_AGENT, HUMAN_AGENT, seedConversation, storedConversation, TOKEN } from '../fixtures/app.js'
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

async function withFin (t: Test, storage = new MemoryStorage(), outbox: FinOutbox = new MemoryOutbox()) {
  const fin = await FakeFin.start(t)
  const built = await buildApp(t, {
    storage,
    notify: { integrationId: 'int_1', webhookKey: 'hook-key', baseUrl: fin.url, coalesceWindow: 0, outbox }
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

  t.equal(await app.fin.typing(conversationId, { id: 'agent_omar', name: 'Omar', email: 'omar@example.com' }), true, 'an agent by its fields, not looked up')
  const [, omar] = await fin.waitFor(2)
  t.same(omar!.body.data.agent, { id: 'agent_omar', user_type: 'agent', name: 'Omar', email: 'omar@example.com' })
  t.equal(await app.fin.typing(conversationId, 'agent_fin', { notifyFin: false }), false, 'notifyFin: false: not sent')

  const input = { object_id: 'reply-1', author: { id: HUMAN_AGENT.id, user_type: 'agent' as const }, body: 'once' }
  const first = await app.fin.createMessage(conversationId, input)
  const again = await app.fin.createMessage(conversationId, input)
  t.same(again, first, 'a repeat answers the first message')
  const [, , sync] = await fin.waitFor(3)
  t.same(sync!.body, { conversation_id: conversationId })
  t.equal(fin.received.length, 3, 'nothing for the typing call with notifyFin: false')
  t.equal((await app.fin.storage.listMessages(conversationId))!.length, 2)
})

t.test('a sync that cannot be enqueued after the write: the write stands, the host gets 503 to retry, and the retry enqueues it', async (t) => {
  // An outbox in another database than the storage's: it cannot join the write, so the sync is a second write.
  const outbox = new SqliteOutbox({ path: ':memory:' })
  t.teardown(() => outbox.close())
  const { app, call, fin } = await withFin(t, new MemoryStorage(), outbox)
  const { conversationId } = await seedConversation(call)
  const queued: string[] = []
  app.fin.events.on('notify.queued', ({ conversation_id: id }) => { queued.push(id) })
  outbox.db.exec('CREATE TRIGGER outbox_down BEFORE INSERT ON fin_outbox BEGIN SELECT RAISE(ABORT, \'disk I/O error\'); END')
  const input = { object_id: 'reply-1', author: { id: HUMAN_AGENT.id, user_type: 'agent' as const }, body: 'kept' }
  await t.rejects(app.fin.createMessage(conversationId, input), { code: 'FIN_ERR_STORAGE_UNAVAILABLE', statusCode: 503, cause: { message: 'disk I/O error' } })
  const stored = (await app.fin.storage.listMessages(conversationId))!.at(-1)!
  t.equal(stored.body, 'kept', 'the message was written before the sync failed')
  t.same(queued, [], 'and no sync announced')

  outbox.db.exec('DROP TRIGGER outbox_down')
  const again = await app.fin.createMessage(conversationId, input)
  t.equal(again.id, stored.id, 'the retry answers the stored message')
  t.same(queued, [conversationId], 'and enqueues the sync')
  const [sync] = await fin.waitFor(1)
  t.same(sync!.body, { conversation_id: conversationId })
})

t.test('fastify.fin writes through the integration it is told: its storage, its events, its Fin', async (t) => {
  const fin = await FakeFin.start(t)
  const [brandA, brandB] = [new MemoryStorage(), new MemoryStorage()]
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { name: 'brand-a', prefix: '/a', tokens: [TOKEN], storage: brandA })
  await app.register(finHelpdesk, { name: 'brand-b', prefix: '/b', tokens: [TOKEN], storage: brandB, notify: { integrationId: 'int_b', webhookKey: 'hook-key', baseUrl: fin.url, coalesceWindow: 0 } })
  await app.ready()
  const seen: string[] = []
  for (const name of ['brand-a', 'brand-b']) {
    app.fin.get(name).events.on('user.created', ({ integration }) => { seen.push(integration) })
    app.fin.get(name).events.on('message.created', ({ integration }) => { seen.push(integration) })
  }
  const options = { integration: 'brand-b' }
  const user = await app.fin.createUser({ name: 'Bea', object_id: 'bea' }, options)
  await app.fin.updateUser(user.id, { attributes: { plan: 'pro' } }, options)
  t.match(await brandB.getUser(user.id), { name: 'Bea', attributes: { plan: 'pro' } }, 'in brand B\'s storage')
  t.equal(await brandA.getUser(user.id), null, 'not in the default integration\'s')
  const conversationId = await storedConversation(brandB)
  const message = await app.fin.createMessage(conversationId, { author: { id: FIN_AGENT.id, user_type: 'agent' }, body: 'from B' }, options)
  t.equal((await brandB.listMessages(conversationId))!.at(-1)!.id, message.id)
  t.equal(await app.fin.typing(conversationId, FIN_AGENT.id, options), true)
  t.same(seen, ['brand-b', 'brand-b'], 'brand B\'s events')
  const received = await fin.waitFor(2)
  t.same(received.map((r) => r.path).sort(), ['/custom_helpdesk_conversation_event/int_b', '/custom_helpdesk_conversation_event/int_b'], 'brand B\'s Fin: the sync and the typing')
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

/** A host's own outbox (its entries kept here in a MemoryOutbox): the required methods, and `requestIn` if given. */
function hostOutbox (requestIn?: FinOutbox['requestIn']): FinOutbox {
  const kept = new MemoryOutbox()
  return {
    request: (entry) => kept.request(entry),
    ...(requestIn === undefined ? {} : { requestIn }),
    claim: (now, limit, lease) => kept.claim(now, limit, lease),
    complete: (id, now, window) => kept.complete(id, now, window),
    reschedule: (outcome) => kept.reschedule(outcome),
    fail: (outcome) => kept.fail(outcome),
    release: (ids, now) => kept.release(ids, now),
    nextDueAt: () => kept.nextDueAt(),
    counts: () => kept.counts(),
    failures: () => kept.failures()
  }
}

t.test('an outbox without requestIn: the sync is enqueued after the write; notifyFin in a transaction is refused', async (t) => {
  const { app, call, fin } = await withFin(t, new MemoryStorage(), hostOutbox())
  const { conversationId } = await seedConversation(call)
  await app.fin.createMessage(conversationId, { author: { id: HUMAN_AGENT.id, user_type: 'agent' }, body: 'reply' })
  const [sync] = await fin.waitFor(1)
  t.same(sync!.body, { conversation_id: conversationId })
  t.throws(() => app.notifyFin(conversationId, { transaction: {} }), { code: 'FIN_ERR_OPTIONS', message: /cannot join a transaction: it has no requestIn\(\)/ })
})

t.test('an outbox that writes asynchronously cannot join MemoryStorage\'s synchronous write: refused, nothing written', async (t) => {
  // Says nothing of the transactions it joins (no joins()), so it is offered the write's: and answers a promise.
  const offered: string[] = []
  const { app, call, fin } = await withFin(t, new MemoryStorage(), hostOutbox(async (_transaction, entry) => {
    offered.push(entry.conversationId)
    throw new Error('the remote outbox is down')
  }))
  const { conversationId } = await seedConversation(call)
  const before = (await app.fin.storage.listMessages(conversationId))!.length
  await t.rejects(app.fin.createMessage(conversationId, { author: { id: HUMAN_AGENT.id, user_type: 'agent' }, body: 'reply' }), {
    code: 'FIN_ERR_STORAGE_UNAVAILABLE', cause: { code: 'FIN_ERR_OPTIONS', message: /transactions are synchronous: its outbox must write synchronously/ }
  })
  t.same(offered, [conversationId], 'the outbox was asked, inside the write')
  t.equal((await app.fin.storage.listMessages(conversationId))!.length, before, 'nothing written')
  // Its rejection is handled: an unhandled one would fail this file.
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(fin.received.length, 0)
})
