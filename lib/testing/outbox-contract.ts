import assert from 'node:assert/strict'
import type { FinOutbox } from '../notify/outbox.js'
import { assertLike, declareCases, type ContractCase, type ContractOptions } from './runner.js'

export type FinOutboxFactory<O extends FinOutbox = FinOutbox> = () => O | Promise<O>

export interface OutboxContractOptions<O extends FinOutbox = FinOutbox> extends ContractOptions {
  /**
   * Runs `fn` in a new transaction that `outbox.requestIn` can join (its database's), committing when `fn`
   * returns and rolling back when it throws or rejects, then resolves (or rejects with fn's error). With it, the
   * suite proves requestIn commits and rolls back with the caller's transaction.
   */
  transaction?: (outbox: O, fn: (transaction: unknown) => unknown) => Promise<void>
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z')

/**
 * The FinOutbox contract (see FinOutbox): coalescing, claiming without double delivery, dirty re-sends, retries,
 * failures, leases and recovery. `factory` gives a fresh, empty outbox per case; the case closes it when done.
 * Written on `node:test` and `node:assert/strict`; `options.test` runs it under another runner (see docs/storage.md).
 */
export function testFinOutbox<O extends FinOutbox> (name: string, factory: FinOutboxFactory<O>, options: OutboxContractOptions<O> = {}): void {
  const cases: ContractCase[] = []
  // Each case gets a fresh outbox, closed whatever the outcome.
  const outboxCase = (title: string, fn: (outbox: O) => Promise<void>): void => {
    cases.push({
      name: title,
      fn: async () => {
        const outbox = await factory()
        try {
          await fn(outbox)
        } finally {
          await outbox.close?.()
        }
      }
    })
  }

  outboxCase('request: pending after the window, coalesced while pending', async (outbox) => {
    assert.equal(await outbox.nextDueAt(), null)
    await outbox.request({ conversationId: 'c1', now: T0, window: 300 })
    await outbox.request({ conversationId: 'c1', now: T0 + 100, window: 300 })
    assert.deepStrictEqual(await outbox.counts(), { pending: 1, inflight: 0, failed: 0 })
    assert.equal(await outbox.nextDueAt(), T0 + 300, 'the first call sets the due time')
    assert.deepStrictEqual(await outbox.claim(T0 + 299, 10, 1000), [], 'not before it is due')
    const [entry] = await outbox.claim(T0 + 300, 10, 1000)
    assertLike(entry, { conversation_id: 'c1', state: 'inflight', due_at: T0 + 300, first_at: T0, attempt: 0, dirty: false })
    assert.deepStrictEqual(await outbox.claim(T0 + 300, 10, 1000), [], 'a claimed entry is not handed out twice')
    assert.deepStrictEqual(await outbox.counts(), { pending: 0, inflight: 1, failed: 0 })
  })

  outboxCase('claim: oldest due first, at most `limit`, never the same entry to two claimers', async (outbox) => {
    for (const [id, at] of [['c3', 30], ['c1', 10], ['c2', 20], ['c4', 40]] as const) await outbox.request({ conversationId: id, now: T0 + at, window: 0 })
    assert.deepStrictEqual((await outbox.claim(T0 + 100, 2, 1000)).map((e) => e.conversation_id), ['c1', 'c2'])
    const [a, b] = await Promise.all([outbox.claim(T0 + 100, 2, 1000), outbox.claim(T0 + 100, 2, 1000)])
    const ids = [...a!, ...b!].map((e) => e.conversation_id).sort()
    assert.deepStrictEqual(ids, ['c3', 'c4'], 'parallel claims split the rest')
  })

  outboxCase('a call while in flight marks it dirty: one more send after delivery', async (outbox) => {
    await outbox.request({ conversationId: 'c1', now: T0, window: 0 })
    await outbox.claim(T0, 10, 1000)
    await outbox.request({ conversationId: 'c1', now: T0 + 5, window: 300 })
    await outbox.request({ conversationId: 'c1', now: T0 + 6, window: 300 })
    assert.equal(await outbox.complete('c1', T0 + 10, 300), true, 'dirty: goes again')
    assert.deepStrictEqual(await outbox.counts(), { pending: 1, inflight: 0, failed: 0 })
    assert.equal(await outbox.nextDueAt(), T0 + 310)
    await outbox.claim(T0 + 310, 10, 1000)
    assert.equal(await outbox.complete('c1', T0 + 320, 300), false, 'clean: done')
    assert.deepStrictEqual(await outbox.counts(), { pending: 0, inflight: 0, failed: 0 })
    assert.equal(await outbox.nextDueAt(), null)
  })

  outboxCase('reschedule, fail, and a new request after failing', async (outbox) => {
    await outbox.request({ conversationId: 'c1', now: T0, window: 0 })
    await outbox.claim(T0, 10, 1000)
    await outbox.reschedule({ conversationId: 'c1', dueAt: T0 + 5000, attempt: 1, status: 503, error: 'HTTP 503', now: T0 + 1 })
    assert.equal(await outbox.nextDueAt(), T0 + 5000)
    const [entry] = await outbox.claim(T0 + 5000, 10, 1000)
    assertLike(entry, { attempt: 1, last_status: 503, last_error: 'HTTP 503', first_at: T0 })
    await outbox.fail({ conversationId: 'c1', attempt: 2, status: 401, error: 'rejected', now: T0 + 5001 })
    assert.deepStrictEqual(await outbox.counts(), { pending: 0, inflight: 0, failed: 1 })
    assertLike(await outbox.failures(), [{ conversation_id: 'c1', state: 'failed', attempt: 2, last_status: 401, last_error: 'rejected', updated_at: T0 + 5001 }])
    assert.deepStrictEqual(await outbox.claim(T0 + 99_999, 10, 1000), [], 'failed entries are not claimed')
    assert.equal(await outbox.nextDueAt(), null)
    await outbox.request({ conversationId: 'c1', now: T0 + 6000, window: 300 })
    assertLike(await outbox.claim(T0 + 6300, 10, 1000), [{ conversation_id: 'c1', attempt: 0, first_at: T0 + 6000 }], 'starts over')
  })

  outboxCase('leases: an abandoned claim comes back when its lease ends; release and recover', async (outbox) => {
    await outbox.request({ conversationId: 'c1', now: T0, window: 0 })
    await outbox.request({ conversationId: 'c2', now: T0, window: 0 })
    await outbox.claim(T0, 10, 1000)
    assert.equal(await outbox.nextDueAt(), T0 + 1000, 'the lease end is the next thing due')
    assert.deepStrictEqual(await outbox.claim(T0 + 1000, 10, 1000), [])
    assert.deepStrictEqual((await outbox.claim(T0 + 1001, 10, 1000)).map((e) => e.conversation_id).sort(), ['c1', 'c2'], 'taken over after the lease')
    await outbox.release(['c1'], T0 + 1500)
    assert.deepStrictEqual(await outbox.counts(), { pending: 1, inflight: 1, failed: 0 })
    assertLike(await outbox.claim(T0 + 1500, 10, 1000), [{ conversation_id: 'c1' }], 'released: due at once')
    if (outbox.recover !== undefined) {
      await outbox.recover(T0 + 1600)
      assert.deepStrictEqual(await outbox.counts(), { pending: 2, inflight: 0, failed: 0 }, 'recover: every in-flight entry is due again')
    }
  })

  // Telemetry: the trace context kept with an entry (delivery spans link to it) and the oldest undelivered sync.
  outboxCase('trace context: kept with the entry, first asker while pending, latest asker while in flight', async (outbox) => {
    const tp = (n: number): string => `00-${String(n).padStart(32, '0')}-${String(n).padStart(16, '0')}-01`
    await outbox.request({ conversationId: 'c1', now: T0, window: 0, traceContext: tp(1) })
    await outbox.request({ conversationId: 'c1', now: T0 + 1, window: 0, traceContext: tp(2) })
    await outbox.request({ conversationId: 'c2', now: T0, window: 0 })
    const claimed = await outbox.claim(T0 + 10, 10, 1000)
    assert.deepStrictEqual(claimed.map((e) => [e.conversation_id, e.trace_context]).sort(), [['c1', tp(1)], ['c2', null]], 'coalesced: the first request\'s; none given: null')
    await outbox.reschedule({ conversationId: 'c1', dueAt: T0 + 100, attempt: 1, status: 503, error: 'HTTP 503', now: T0 + 11 })
    assertLike(await outbox.claim(T0 + 100, 10, 1000), [{ conversation_id: 'c1', attempt: 1, trace_context: tp(1) }], 'kept through a retry')
    await outbox.request({ conversationId: 'c1', now: T0 + 101, window: 0, traceContext: tp(3) })
    await outbox.request({ conversationId: 'c1', now: T0 + 102, window: 0 })
    assert.equal(await outbox.complete('c1', T0 + 110, 0), true)
    assertLike(await outbox.claim(T0 + 110, 10, 1000), [{ conversation_id: 'c1', trace_context: tp(3) }], 'the re-send links to the request that made it dirty')
    await outbox.fail({ conversationId: 'c1', attempt: 1, status: 400, error: 'rejected', now: T0 + 111 })
    await outbox.request({ conversationId: 'c1', now: T0 + 200, window: 0, traceContext: tp(4) })
    assertLike(await outbox.claim(T0 + 200, 10, 1000), [{ conversation_id: 'c1', trace_context: tp(4) }], 'a failed entry starts over with the new one')
  })

  outboxCase('oldestPendingAt: the first request time of the oldest entry not failed', async (outbox) => {
    assert.equal(typeof outbox.oldestPendingAt, 'function', 'every outbox shipped with the plugin has it (the alert metric needs it)')
    assert.equal(await outbox.oldestPendingAt!(), null, 'empty')
    await outbox.request({ conversationId: 'c1', now: T0 + 10, window: 0 })
    await outbox.request({ conversationId: 'c2', now: T0 + 20, window: 0 })
    await outbox.request({ conversationId: 'c1', now: T0 + 30, window: 0 })
    assert.equal(await outbox.oldestPendingAt!(), T0 + 10, 'coalescing keeps the first time')
    await outbox.claim(T0 + 40, 1, 1000)
    assert.equal(await outbox.oldestPendingAt!(), T0 + 10, 'in flight still counts')
    await outbox.fail({ conversationId: 'c1', attempt: 1, status: 400, error: 'rejected', now: T0 + 41 })
    assert.equal(await outbox.oldestPendingAt!(), T0 + 20, 'failed entries do not')
    await outbox.claim(T0 + 50, 1, 1000)
    await outbox.complete('c2', T0 + 60, 0)
    assert.equal(await outbox.oldestPendingAt!(), null, 'delivered')
  })

  const inTransaction = options.transaction
  if (inTransaction !== undefined) {
    outboxCase('requestIn: the entry commits with the caller\'s transaction and rolls back with it', async (outbox) => {
      assert.equal(typeof outbox.requestIn, 'function')
      assert.equal(outbox.joins?.({}) ?? false, false, 'a plain object is no transaction it can join')
      await inTransaction(outbox, (tx) => {
        assert.equal(outbox.joins?.(tx) ?? true, true)
        return outbox.requestIn!(tx, { conversationId: 'kept', now: T0, window: 0 })
      })
      const failure = new Error('the caller\'s own write failed')
      await assert.rejects(inTransaction(outbox, (tx) => {
        const done = outbox.requestIn!(tx, { conversationId: 'lost', now: T0, window: 0 })
        if (done !== undefined) return done.then(() => { throw failure })
        throw failure
      }), (err) => err === failure)
      assert.deepStrictEqual(await outbox.counts(), { pending: 1, inflight: 0, failed: 0 })
      assert.deepStrictEqual((await outbox.claim(T0, 10, 1000)).map((e) => e.conversation_id), ['kept'], 'only the committed one')
      // Joined to a transaction: the same coalescing as request().
      await inTransaction(outbox, (tx) => outbox.requestIn!(tx, { conversationId: 'kept', now: T0 + 1, window: 0 }))
      assertLike(await outbox.claim(T0 + 500, 10, 1000), [], 'in flight: marked dirty, not claimable again')
      assert.equal(await outbox.complete('kept', T0 + 2, 0), true, 'dirty: one more send')
    })
  }

  declareCases(`FinOutbox contract: ${name}`, cases, options)
}
