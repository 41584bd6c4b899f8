import { FinAgentNotFoundError, FinAttributesTooLargeError, FinObjectIdConflictError, FinUserMismatchError, FinUserNotFoundError } from '../errors.js'
import type { FinOutbox } from '../notify/outbox.js'
import type { FinStorage, NewMessage, StorageWriteOptions } from '../storage/types.js'
import assert from 'node:assert/strict'
import { assertLike, assertNot, declareCases, type ContractCase, type ContractOptions } from './runner.js'

export type FinStorageFactory<S extends FinStorage = FinStorage> = () => S | Promise<S>

export interface StorageContractOptions<S extends FinStorage = FinStorage> extends ContractOptions {
  /**
   * The outbox that shares this storage's transactions (e.g. SqliteOutbox on `storage.db`): with it, the suite
   * proves that Fin's sync, enqueued in a write, commits with it and rolls back with it. Closed after each case.
   */
  outbox?: (storage: S) => FinOutbox | Promise<FinOutbox>
}

const FIN = { id: 'agent_fin', name: 'Fin', email: 'fin@example.com', alias: 'Fin', photo_url: 'https://example.com/fin.png' }
const HUMAN = { id: 'agent_human', name: 'Sarah', email: 'sarah@example.com' }

function text (body: string, extra: Partial<NewMessage> = {}): NewMessage {
  return { author: { id: FIN.id, user_type: 'agent' }, body, visibility: 'public', attachments: [], ...extra }
}

/**
 * The storage contract: run it against any FinStorage to prove it honours what the plugin relies on (not found,
 * idempotency under concurrency, atomicity, message order, after_id). `factory` gives a fresh, empty storage per
 * case; the case closes it when done. Written on `node:test` and `node:assert/strict`; `options.test` runs it under
 * another runner (see docs/storage.md).
 *
 *   import { testFinStorage } from 'fastify-fin-helpdesk/testing'
 *   testFinStorage('MyStorage', () => new MyStorage(...))
 */
export function testFinStorage<S extends FinStorage> (name: string, factory: FinStorageFactory<S>, options: StorageContractOptions<S> = {}): void {
  const cases: ContractCase[] = []
  // Each case gets a fresh storage with the two agents the cases refer to, closed whatever the outcome.
  const storageCase = (title: string, fn: (storage: S) => Promise<void>): void => {
    cases.push({
      name: title,
      fn: async () => {
        const storage = await factory()
        try {
          await storage.upsertAgent(FIN)
          await storage.upsertAgent(HUMAN)
          await fn(storage)
        } finally {
          await storage.close?.()
        }
      }
    })
  }

  async function withConversation (storage: FinStorage, objectId = 'ic_conv') {
    const user = (await storage.createUser({ object_id: `${objectId}_user`, name: 'Jane', email: 'jane@example.com' })).value
    const created = await storage.createConversation({
      object_id: objectId,
      user_id: user.id,
      title: 'Pricing',
      attributes: { topic: 'billing' },
      message: { author: { id: user.id, user_type: 'end_user' }, body: '<p>Hi</p>', visibility: 'public', attachments: [], object_id: `${objectId}_m0` }
    })
    return { user, ...created.value }
  }

  storageCase('users: create, get, update, not found', async (storage) => {
    const { value: user, created } = await storage.createUser({ object_id: 'u1', name: 'Jane', email: 'jane@example.com' })
    assert.equal(created, true)
    assertLike(user, { id: String, user_type: 'end_user', name: 'Jane', email: 'jane@example.com' })
    assert.deepStrictEqual(await storage.getUser(user.id), user)
    assert.equal(await storage.getUser('missing'), null)
    const updated = await storage.updateUser(user.id, { attributes: { plan: 'pro', seats: 3 } })
    assert.deepStrictEqual(updated?.attributes, { plan: 'pro', seats: 3 })
    const merged = await storage.updateUser(user.id, { attributes: { plan: 'enterprise' } })
    assert.deepStrictEqual(merged?.attributes, { plan: 'enterprise', seats: 3 }, 'attributes are merged key by key')
    assert.deepStrictEqual((await storage.getUser(user.id))?.attributes, { plan: 'enterprise', seats: 3 })
    assert.equal(await storage.updateUser('missing', { attributes: {} }), null)
    const anonymous = await storage.createUser({})
    assert.equal(anonymous.value.name, null)
    assert.notEqual(anonymous.value.id, user.id)
    assert.equal((await storage.updateUser(user.id, { attributes: null }))?.attributes, null, 'attributes: null clears them')
    assert.equal((await storage.getUser(user.id))?.attributes, null)
    assert.deepStrictEqual((await storage.updateUser(user.id, { attributes: { plan: 'free' } }))?.attributes, { plan: 'free' }, 'merged into none')
    const seeded = await storage.createUser({ name: 'Ann', attributes: { plan: 'pro' } })
    assert.deepStrictEqual((await storage.getUser(seeded.value.id))?.attributes, { plan: 'pro' }, 'attributes given at creation are stored')
  })

  storageCase('users: object_id makes create idempotent, also 20 at once', async (storage) => {
    const first = await storage.createUser({ object_id: 'same', name: 'A' })
    const again = await storage.createUser({ object_id: 'same', name: 'B' })
    assert.equal(again.created, false)
    assert.deepStrictEqual(again.value, first.value, 'the repeat answers the first user, unchanged')
    const results = await Promise.all(Array.from({ length: 20 }, () => storage.createUser({ object_id: 'burst', name: 'C' })))
    assert.equal(new Set(results.map((r) => r.value.id)).size, 1, 'one user for 20 concurrent creates')
    assert.equal(results.filter((r) => r.created).length, 1, 'exactly one call reports created')
  })

  storageCase('agents: upsert and list', async (storage) => {
    assert.deepStrictEqual((await storage.listAgents()).map((a) => a.id).sort(), ['agent_fin', 'agent_human'])
    await storage.upsertAgent({ ...HUMAN, name: 'Sarah J.' })
    const agents = await storage.listAgents()
    assert.equal(agents.length, 2)
    assert.equal(agents.find((a) => a.id === HUMAN.id)?.name, 'Sarah J.')
    assertLike(agents.find((a) => a.id === FIN.id), FIN)
  })

  storageCase('conversations: create answers the conversation and its first message', async (storage) => {
    const { user, conversation, message } = await withConversation(storage)
    assertLike(conversation, { id: String, status: 'open', title: 'Pricing', tags: [], attributes: { topic: 'billing' }, user: { id: user.id } })
    assertNot(conversation.assignee, 'nobody assigned yet')
    assertLike(message, { id: String, conversation_id: conversation.id, message_type: 'comment', body: '<p>Hi</p>', visibility: 'public', author: { id: user.id, user_type: 'end_user', name: 'Jane' } })
    assert.deepStrictEqual(await storage.getConversation(conversation.id), conversation)
    assert.deepStrictEqual(await storage.listMessages(conversation.id), [message])
    assert.equal(await storage.getConversation('missing'), null)
  })

  storageCase('conversations: idempotent on object_id, also 20 at once', async (storage) => {
    const { user, conversation, message } = await withConversation(storage, 'c1')
    const again = await storage.createConversation({ object_id: 'c1', user_id: user.id, title: 'Other', attributes: null, message: text('other') })
    assert.equal(again.created, false)
    assert.deepStrictEqual(again.value, { conversation: await storage.getConversation(conversation.id), message })
    const results = await Promise.all(Array.from({ length: 20 }, () => storage.createConversation({
      object_id: 'c2', user_id: user.id, title: null, attributes: null, message: text('<p>x</p>', { object_id: 'c2_m0' })
    })))
    assert.equal(new Set(results.map((r) => r.value.conversation.id)).size, 1)
    assert.equal(results.filter((r) => r.created).length, 1)
    assert.equal((await storage.listMessages(results[0]!.value.conversation.id))?.length, 1, 'one initial message')
  })

  storageCase('conversations: a missing user or agent author writes nothing', async (storage) => {
    const user = (await storage.createUser({ name: 'Jane' })).value
    await assert.rejects(storage.createConversation({ object_id: 'c', user_id: 'missing', title: null, attributes: null, message: text('x') }), FinUserNotFoundError)
    await assert.rejects(storage.createConversation({
      object_id: 'c', user_id: user.id, title: null, attributes: null, message: text('x', { author: { id: 'nobody', user_type: 'agent' } })
    }), FinAgentNotFoundError)
    const later = await storage.createConversation({ object_id: 'c', user_id: user.id, title: null, attributes: null, message: text('x') })
    assert.equal(later.created, true, 'the failed calls left no trace of object_id "c"')
  })

  storageCase('conversations: update changes only what is given', async (storage) => {
    const { conversation } = await withConversation(storage)
    const assigned = await storage.updateConversation(conversation.id, { assignee_id: FIN.id, tags: ['a', 'b'] })
    assert.equal(assigned?.previousAssigneeId, null)
    assertLike(assigned?.conversation, { status: 'open', title: 'Pricing', tags: ['a', 'b'], attributes: { topic: 'billing' }, assignee: { id: FIN.id, user_type: 'agent', name: 'Fin', alias: 'Fin' } })
    const resolved = await storage.updateConversation(conversation.id, { status: 'resolved', title: null, attributes: { sentiment: 'happy' } })
    assertLike(resolved?.conversation, { status: 'resolved', tags: ['a', 'b'], attributes: { topic: 'billing', sentiment: 'happy' }, assignee: { id: FIN.id } })
    assertNot(resolved?.conversation.title, 'title cleared')
    const handover = await storage.updateConversation(conversation.id, { assignee_id: null })
    assert.equal(handover?.previousAssigneeId, FIN.id)
    assertNot(handover?.conversation.assignee)
    assert.deepStrictEqual(await storage.getConversation(conversation.id), handover?.conversation)
    assert.equal(await storage.updateConversation('missing', { status: 'closed' }), null)
  })

  storageCase('conversations: update is all or nothing', async (storage) => {
    const { conversation, user } = await withConversation(storage)
    await assert.rejects(storage.updateConversation(conversation.id, { status: 'closed', assignee_id: 'nobody' }), FinAgentNotFoundError)
    await assert.rejects(storage.updateConversation(conversation.id, { status: 'closed', user: { id: 'someone-else', name: 'X' } }), FinUserMismatchError)
    assert.deepStrictEqual(await storage.getConversation(conversation.id), conversation, 'nothing changed')
    const withUser = await storage.updateConversation(conversation.id, { user: { id: user.id, name: 'Jane Doe', attributes: { vip: true } } })
    assertLike(withUser?.conversation.user, { id: user.id, name: 'Jane Doe', attributes: { vip: true } })
    assertLike(await storage.getUser(user.id), { name: 'Jane Doe', attributes: { vip: true } })
    const emailOnly = await storage.updateConversation(conversation.id, { user: { id: user.id, email: 'jd@example.com' } })
    assertLike(emailOnly?.conversation.user, { name: 'Jane Doe', email: 'jd@example.com', attributes: { vip: true } }, 'a user patch changes only what it gives')
  })

  storageCase('messages: order, after_id, not found', async (storage) => {
    const { conversation, message: first } = await withConversation(storage)
    const ids = [first.id]
    for (let i = 1; i < 6; i++) {
      const created = await storage.createMessage(conversation.id, text(`<p>${i}</p>`, { object_id: `m${i}` }))
      ids.push(created!.value.id)
    }
    assert.deepStrictEqual((await storage.listMessages(conversation.id))?.map((m) => m.id), ids, 'oldest first')
    assert.deepStrictEqual((await storage.listMessages(conversation.id, ids[2]))?.map((m) => m.id), ids.slice(3), 'strictly after after_id')
    assert.deepStrictEqual(await storage.listMessages(conversation.id, ids[5]), [], 'nothing after the last')
    assert.deepStrictEqual((await storage.listMessages(conversation.id, 'unknown'))?.map((m) => m.id), ids, 'unknown after_id: everything')
    assert.equal(await storage.listMessages('missing'), null)
    assert.equal(await storage.createMessage('missing', text('x')), null)
  })

  storageCase('messages: fields, authors, idempotency', async (storage) => {
    const { conversation, user } = await withConversation(storage)
    const attachments = [{ url: 'https://example.com/a.pdf', filetype: 'pdf', filename: 'A' }]
    const fromFin = await storage.createMessage(conversation.id, text('', {
      object_id: 'fin1', visibility: 'private', created_at: '2025-10-27T14:35:00.000Z', attachments
    }))
    assert.equal(fromFin?.created, true)
    assertLike(fromFin?.value, {
      conversation_id: conversation.id,
      body: '',
      visibility: 'private',
      created_at: '2025-10-27T14:35:00.000Z',
      attachments,
      author: { id: FIN.id, user_type: 'agent', name: 'Fin', email: 'fin@example.com', alias: 'Fin' }
    })
    const repeat = await storage.createMessage(conversation.id, text('changed', { object_id: 'fin1' }))
    assert.equal(repeat?.created, false)
    assert.deepStrictEqual(repeat?.value, fromFin?.value)
    const fromUser = await storage.createMessage(conversation.id, text('<p>q</p>', { author: { id: user.id, user_type: 'end_user' } }))
    assertLike(fromUser?.value.author, { id: user.id, user_type: 'end_user', name: 'Jane' })
    await assert.rejects(storage.createMessage(conversation.id, text('x', { author: { id: 'ghost', user_type: 'end_user' } })), FinUserNotFoundError)
    await assert.rejects(storage.createMessage(conversation.id, text('x', { author: { id: 'ghost', user_type: 'agent' } })), FinAgentNotFoundError)
    const burst = await Promise.all(Array.from({ length: 20 }, () => storage.createMessage(conversation.id, text('<p>b</p>', { object_id: 'burst' }))))
    assert.equal(new Set(burst.map((r) => r?.value.id)).size, 1)
    assert.equal(burst.filter((r) => r?.created).length, 1)
    assert.equal((await storage.listMessages(conversation.id))?.length, 4, 'initial, fin1, user, burst: nothing else')
  })

  // Self-contained: an object_id is recognised as a retry only under the same parent (issue #11, item 2).
  storageCase('object_id: a retry only under the same parent, else a conflict that writes and reveals nothing', async (storage) => {
    const c1 = await withConversation(storage, 'c1')
    const c2 = await withConversation(storage, 'c2')
    const secret = await storage.createMessage(c1.conversation.id, text('<p>secret</p>', { object_id: 'shared' }))
    assert.equal(secret?.created, true)
    await assert.rejects(storage.createMessage(c2.conversation.id, text('<p>other</p>', { object_id: 'shared' })),
      { code: 'FIN_ERR_OBJECT_ID_CONFLICT', statusCode: 409 })
    await assert.rejects(storage.createMessage(c2.conversation.id, text('x', { object_id: 'shared' })), FinObjectIdConflictError)
    assert.equal(await storage.createMessage('missing', text('x', { object_id: 'shared' })), null, 'unknown conversation: not found first')
    assert.deepStrictEqual((await storage.listMessages(c2.conversation.id))?.map((m) => m.id), [c2.message.id], 'nothing written in c2')
    assert.deepStrictEqual(await storage.listMessages(c1.conversation.id), [c1.message, secret!.value], 'c1 unchanged')
    const retry = await storage.createMessage(c1.conversation.id, text('changed', { object_id: 'shared' }))
    assert.deepStrictEqual(retry, { value: secret!.value, created: false }, 'the same parent still retries')

    const other = (await storage.createUser({ object_id: 'other_user', name: 'Eve' })).value
    const steal = { object_id: 'c1', user_id: other.id, title: null, attributes: null, message: text('x') }
    await assert.rejects(storage.createConversation(steal), { code: 'FIN_ERR_OBJECT_ID_CONFLICT', statusCode: 409 })
    await assert.rejects(storage.createConversation({ ...steal, user_id: 'missing' }), FinUserNotFoundError, 'unknown user: not found first')
    assert.deepStrictEqual((await storage.listConversations()).map((c) => c.id).sort(), [c1.conversation.id, c2.conversation.id].sort(), 'no conversation written')
    const again = await storage.createConversation({ ...steal, user_id: c1.user.id })
    assert.equal(again.created, false, 'the same user still retries')
    assert.equal(again.value.conversation.id, c1.conversation.id)
  })

  // Self-contained: attributeLimits bound the merged attributes, checked inside the write (issue #11, item 8).
  storageCase('attributes: over attributeLimits once merged, the update throws and writes nothing', async (storage) => {
    const { user, conversation } = await withConversation(storage, 'limits')
    const attributeLimits = { maxKeys: 3, maxBytes: 60 }
    const ok = await storage.updateUser(user.id, { attributes: { a: 1, b: 2 }, attributeLimits })
    assert.deepStrictEqual(ok?.attributes, { a: 1, b: 2 })
    await assert.rejects(storage.updateUser(user.id, { attributes: { c: 3, d: 4 }, attributeLimits }),
      { code: 'FIN_ERR_ATTRIBUTES_TOO_LARGE', statusCode: 400, message: /4 keys, over the limit of 3 keys/ })
    await assert.rejects(storage.updateUser(user.id, { name: 'X', attributes: { a: 'x'.repeat(60) }, attributeLimits }), FinAttributesTooLargeError)
    assert.deepStrictEqual(await storage.getUser(user.id), ok, 'the user is unchanged, name included')
    const replaced = await storage.updateUser(user.id, { attributes: { a: 'short' }, attributeLimits })
    assert.deepStrictEqual(replaced?.attributes, { a: 'short', b: 2 }, 'a merge that stays within the limits is written')

    const before = await storage.getConversation(conversation.id)
    await assert.rejects(storage.updateConversation(conversation.id, { status: 'closed', attributes: { x: 1, y: 2, z: 3 }, attributeLimits }),
      { code: 'FIN_ERR_ATTRIBUTES_TOO_LARGE', message: /conversation's attributes would hold 4 keys/ })
    await assert.rejects(storage.updateConversation(conversation.id, { status: 'closed', user: { id: user.id, attributes: { c: 3, d: 4 } }, attributeLimits }),
      { code: 'FIN_ERR_ATTRIBUTES_TOO_LARGE', message: /user's attributes/ })
    assert.deepStrictEqual(await storage.getConversation(conversation.id), before, 'nothing changed: status, attributes, user')
    const within = await storage.updateConversation(conversation.id, { attributes: { x: 1 }, user: { id: user.id, attributes: { c: 3 } }, attributeLimits })
    assert.deepStrictEqual(within?.conversation.attributes, { topic: 'billing', x: 1 })
    assert.deepStrictEqual(within?.conversation.user.attributes, { a: 'short', b: 2, c: 3 })
    const unbounded = await storage.updateUser(user.id, { attributes: { d: 'x'.repeat(100) } })
    assert.equal(unbounded?.attributes?.d, 'x'.repeat(100), 'without attributeLimits nothing is bounded')
  })

  storageCase('listConversations: most recently updated first, limited', async (storage) => {
    assert.deepStrictEqual(await storage.listConversations(), [])
    const a = await withConversation(storage, 'a')
    const b = await withConversation(storage, 'b')
    const c = await withConversation(storage, 'c')
    await new Promise((resolve) => setTimeout(resolve, 5))
    await storage.createMessage(a.conversation.id, text('bump'))
    const listed = await storage.listConversations()
    assert.deepStrictEqual(listed.map((x) => x.id), [a.conversation.id, c.conversation.id, b.conversation.id])
    assert.deepStrictEqual(listed[0], await storage.getConversation(a.conversation.id), 'full conversations')
    assert.deepStrictEqual((await storage.listConversations({ limit: 2 })).map((x) => x.id), [a.conversation.id, c.conversation.id])
  })

  storageCase('a new message moves the conversation\'s updated_at', async (storage) => {
    const { conversation } = await withConversation(storage)
    await new Promise((resolve) => setTimeout(resolve, 5))
    await storage.createMessage(conversation.id, text('later'))
    const after = await storage.getConversation(conversation.id)
    assert.ok(after!.updated_at! > conversation.updated_at!, 'updated_at moved forward')
    assert.equal(after!.created_at, conversation.created_at)
  })
  // The transactional outbox (issue #22): a write runs `enqueue` once, inside its transaction, only when it changes
  // something; when `enqueue` throws, the write is rolled back.
  storageCase('enqueue: once inside each write that changes something, never for a repeat; a throwing one writes nothing', async (storage) => {
    const { conversation, message: first } = await withConversation(storage)
    const calls: unknown[] = []
    const counting: StorageWriteOptions = { enqueue: (transaction) => { calls.push(transaction) } }
    const created = await storage.createMessage(conversation.id, text('<p>a</p>', { object_id: 'tx1' }), counting)
    assert.equal(calls.length, 1, 'createMessage: once')
    assert.equal((await storage.createMessage(conversation.id, text('<p>a</p>', { object_id: 'tx1' }), counting))?.created, false)
    assert.equal(calls.length, 1, 'a repeat changes nothing: no enqueue')
    assert.equal(await storage.createMessage('missing', text('x'), counting), null)
    assert.equal(await storage.updateConversation('missing', { status: 'closed' }, counting), null)
    assert.equal(calls.length, 1, 'not found: no enqueue')
    await storage.updateConversation(conversation.id, { status: 'resolved' }, counting)
    assert.equal(calls.length, 2, 'updateConversation: once')
    const user = (await storage.createUser({ name: 'Tx' })).value
    await storage.createConversation({ user_id: user.id, title: null, attributes: null, message: text('x') }, counting)
    assert.equal(calls.length, 3, 'createConversation: once')
    await assert.rejects(storage.updateConversation(conversation.id, { assignee_id: 'nobody' }, counting), FinAgentNotFoundError)
    assert.equal(calls.length, 3, 'a refused write: no enqueue')

    const before = await storage.getConversation(conversation.id)
    const refused = new Error('the outbox refused the insert')
    const refusing: StorageWriteOptions = { enqueue: () => { throw refused } }
    await assert.rejects(storage.createMessage(conversation.id, text('<p>b</p>', { object_id: 'tx2' }), refusing), (err) => err === refused)
    await assert.rejects(storage.updateConversation(conversation.id, { status: 'closed', tags: ['x'] }, refusing), (err) => err === refused)
    await assert.rejects(storage.createConversation({ object_id: 'txc', user_id: user.id, title: null, attributes: null, message: text('x') }, refusing), (err) => err === refused)
    assert.deepStrictEqual((await storage.listMessages(conversation.id))?.map((m) => m.id), [first.id, created!.value.id], 'no message stored')
    assert.deepStrictEqual(await storage.getConversation(conversation.id), before, 'the conversation unchanged')
    assert.equal((await storage.createMessage(conversation.id, text('<p>b</p>', { object_id: 'tx2' })))?.created, true, 'no trace of the refused object_id')
    assert.equal((await storage.createConversation({ object_id: 'txc', user_id: user.id, title: null, attributes: null, message: text('x') })).created, true)
  })

  const outboxOf = options.outbox
  if (outboxOf !== undefined) {
    storageCase('with its outbox: the sync enqueued in a write commits with it, and rolls back with it', async (storage) => {
      const outbox = await outboxOf(storage)
      try {
        assert.equal(typeof outbox.requestIn, 'function', 'the outbox can join a transaction')
        const a = await withConversation(storage, 'txa')
        const b = await withConversation(storage, 'txb')
        const request = (conversationId: string) => ({ conversationId, now: Date.now(), window: 0 })
        const enqueue = (conversationId: string): StorageWriteOptions => ({ enqueue: (transaction) => outbox.requestIn!(transaction, request(conversationId)) })
        await storage.createMessage(a.conversation.id, text('<p>kept</p>'), enqueue(a.conversation.id))
        assert.deepStrictEqual(await outbox.counts(), { pending: 1, inflight: 0, failed: 0 }, 'committed with the write')

        // The outbox row is written, then the write fails: both roll back.
        const thenFail = (conversationId: string): StorageWriteOptions => ({
          enqueue: (transaction) => {
            const done = outbox.requestIn!(transaction, request(conversationId))
            if (done !== undefined) return done.then(() => { throw new Error('failed after the outbox insert') })
            throw new Error('failed after the outbox insert')
          }
        })
        await assert.rejects(storage.createMessage(b.conversation.id, text('<p>lost</p>'), thenFail(b.conversation.id)), /failed after the outbox insert/)
        await assert.rejects(storage.updateConversation(b.conversation.id, { status: 'closed' }, thenFail(b.conversation.id)), /failed after the outbox insert/)
        assert.deepStrictEqual(await storage.listMessages(b.conversation.id), [b.message], 'no message')
        assert.equal((await storage.getConversation(b.conversation.id))?.status, 'open', 'no status change')
        assert.deepStrictEqual(await outbox.counts(), { pending: 1, inflight: 0, failed: 0 }, 'and no sync for them')
        assert.deepStrictEqual((await outbox.claim(Date.now() + 1, 10, 1000)).map((e) => e.conversation_id), [a.conversation.id])
      } finally {
        await outbox.close?.()
      }
    })
  }

  // Optional in FinStorage: a storage that has it must answer it exactly (the inbox's views rely on it).
  storageCase('listConversationViews: filters, search, cursor pages, each with its last message', async (storage) => {
    if (storage.listConversationViews === undefined) return
    const views = storage.listConversationViews.bind(storage)
    assert.deepStrictEqual(await views({}), { conversations: [], nextCursor: null })
    // Apart in time: updated_at has millisecond steps (a tie is ordered by id).
    const later = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 3))
    const made: string[] = []
    for (let i = 0; i < 5; i++) {
      const user = (await storage.createUser({ name: i === 3 ? 'Zoë 100%_Smith' : `User ${i}`, email: `user${i}@example.com` })).value
      const created = await storage.createConversation({
        user_id: user.id,
        title: i === 1 ? 'Refund for ORDER 77' : `Topic ${i}`,
        attributes: null,
        message: { author: { id: user.id, user_type: 'end_user' }, body: `<p>first ${i}</p>`, visibility: 'public', attachments: [] }
      })
      made.push(created.value.conversation.id)
      await later()
    }
    const [c0, c1, c2, c3, c4] = made as [string, string, string, string, string]
    await storage.createMessage(c0, text('<p>latest of c0</p>', { visibility: 'private' }))
    await later()
    await storage.updateConversation(c2, { assignee_id: HUMAN.id })
    await later()
    await storage.updateConversation(c4, { status: 'resolved' })
    const ids = async (query: Parameters<typeof views>[0]): Promise<string[]> => (await views(query)).conversations.map((v) => v.conversation.id)
    const all = await views({})
    assert.deepStrictEqual(all.conversations.map((v) => v.conversation.id), [c4, c2, c0, c3, c1], 'newest change first')
    assert.equal(all.nextCursor, null)
    assert.deepStrictEqual(all.conversations[2], { conversation: await storage.getConversation(c0), lastMessage: (await storage.listMessages(c0))!.at(-1) }, 'the conversation and its last message')
    assert.equal(all.conversations[3]!.lastMessage!.body, '<p>first 3</p>')
    assert.deepStrictEqual(await ids({ status: 'open' }), [c2, c0, c3, c1])
    assert.deepStrictEqual(await ids({ assigneeId: null, status: 'open' }), [c0, c3, c1], 'unassigned')
    assert.deepStrictEqual(await ids({ assigneeId: HUMAN.id }), [c2], 'one agent\'s')
    assert.deepStrictEqual(await ids({ ids: [c1, c4, 'conv_missing'] }), [c4, c1], 'only the ids given')
    assert.deepStrictEqual(await ids({ ids: [] }), [], 'no ids: none')
    assert.deepStrictEqual(await ids({ search: 'order 77' }), [c1], 'title, any case')
    assert.deepStrictEqual(await ids({ search: '  100%_sm ' }), [c3], 'user name; % and _ are plain text')
    assert.deepStrictEqual(await ids({ search: '100%_xm' }), [])
    assert.deepStrictEqual(await ids({ search: 'USER2@EXAMPLE' }), [c2], 'user email')
    const first = await views({ limit: 2 })
    assert.deepStrictEqual(first.conversations.map((v) => v.conversation.id), [c4, c2])
    assert.equal(typeof first.nextCursor, 'string')
    const second = await views({ limit: 2, cursor: first.nextCursor })
    assert.deepStrictEqual(second.conversations.map((v) => v.conversation.id), [c0, c3])
    const third = await views({ limit: 2, cursor: second.nextCursor })
    assert.deepStrictEqual(third, { conversations: [all.conversations[4]], nextCursor: null }, 'the last page')
    assert.deepStrictEqual(await ids({ limit: 1, cursor: first.nextCursor, assigneeId: null }), [c0], 'filters hold across pages')
    await assert.rejects(views({ cursor: 'not-a-cursor' }), { code: 'FIN_ERR_BAD_REQUEST' })
    await assert.rejects(views({ limit: 0 }), { code: 'FIN_ERR_BAD_REQUEST' })
    await assert.rejects(views({ limit: 201 }), { code: 'FIN_ERR_BAD_REQUEST' })
  })

  declareCases(`FinStorage contract: ${name}`, cases, options)
}
