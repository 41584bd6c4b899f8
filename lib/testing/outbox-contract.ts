import assert from 'node:assert/strict'
import type { FinOutbox } from '../notify/outbox.js'
import { assertLike, declareCases, type ContractCase, type ContractOptions } from './runner.js'

export type FinOutboxFactory = () => FinOutbox | Promise<FinOutbox>

const T0 = Date.parse('2026-01-01T00:00:00.000Z')

/**
 * The FinOutbox contract (see FinOutbox): coalescing, claiming without double delivery, dirty re-sends, retries,
 * failures, leases and recovery. `factory` gives a fresh, empty outbox per case; the case closes it when done.
 * Written on `node:test` and `node:assert/strict`; `options.test` runs it under another runner (see docs/storage.md).
 */
export function testFinOutbox (name: string, factory: FinOutboxFactory, options: ContractOptions = {}): void {
  const cases: ContractCase[] = []
  // Each case gets a fresh outbox, closed whatever the outcome.
  const outboxCase = (title: string, fn: (outbox: FinOutbox) => Promise<void>): void => {
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
    await outbox.request('c1', T0, 300)
    await outbox.request('c1', T0 + 100, 300)
    assert.deepStrictEqual(await outbox.counts(), { pending: 1, inflight: 0, failed: 0 })
    assert.equal(await outbox.nextDueAt(), T0 + 300, 'the first call sets the due time')
    assert.deepStrictEqual(await outbox.claim(T0 + 299, 10, 1000), [], 'not before it is due')
    const [entry] = await outbox.claim(T0 + 300, 10, 1000)
    assertLike(entry, { conversation_id: 'c1', state: 'inflight', due_at: T0 + 300, first_at: T0, attempt: 0, dirty: false })
    assert.deepStrictEqual(await outbox.claim(T0 + 300, 10, 1000), [], 'a claimed entry is not handed out twice')
    assert.deepStrictEqual(await outbox.counts(), { pending: 0, inflight: 1, failed: 0 })
  })

  outboxCase('claim: oldest due first, at most `limit`, never the same entry to two claimers', async (outbox) => {
    for (const [id, at] of [['c3', 30], ['c1', 10], ['c2', 20], ['c4', 40]] as const) await outbox.request(id, T0 + at, 0)
    assert.deepStrictEqual((await outbox.claim(T0 + 100, 2, 1000)).map((e) => e.conversation_id), ['c1', 'c2'])
    const [a, b] = await Promise.all([outbox.claim(T0 + 100, 2, 1000), outbox.claim(T0 + 100, 2, 1000)])
    const ids = [...a!, ...b!].map((e) => e.conversation_id).sort()
    assert.deepStrictEqual(ids, ['c3', 'c4'], 'parallel claims split the rest')
  })

  outboxCase('a call while in flight marks it dirty: one more send after delivery', async (outbox) => {
    await outbox.request('c1', T0, 0)
    await outbox.claim(T0, 10, 1000)
    await outbox.request('c1', T0 + 5, 300)
    await outbox.request('c1', T0 + 6, 300)
    assert.equal(await outbox.complete('c1', T0 + 10, 300), true, 'dirty: goes again')
    assert.deepStrictEqual(await outbox.counts(), { pending: 1, inflight: 0, failed: 0 })
    assert.equal(await outbox.nextDueAt(), T0 + 310)
    await outbox.claim(T0 + 310, 10, 1000)
    assert.equal(await outbox.complete('c1', T0 + 320, 300), false, 'clean: done')
    assert.deepStrictEqual(await outbox.counts(), { pending: 0, inflight: 0, failed: 0 })
    assert.equal(await outbox.nextDueAt(), null)
  })

  outboxCase('reschedule, fail, and a new request after failing', async (outbox) => {
    await outbox.request('c1', T0, 0)
    await outbox.claim(T0, 10, 1000)
    await outbox.reschedule('c1', T0 + 5000, 1, 503, 'HTTP 503', T0 + 1)
    assert.equal(await outbox.nextDueAt(), T0 + 5000)
    const [entry] = await outbox.claim(T0 + 5000, 10, 1000)
    assertLike(entry, { attempt: 1, last_status: 503, last_error: 'HTTP 503', first_at: T0 })
    await outbox.fail('c1', 2, 401, 'rejected', T0 + 5001)
    assert.deepStrictEqual(await outbox.counts(), { pending: 0, inflight: 0, failed: 1 })
    assertLike(await outbox.failures(), [{ conversation_id: 'c1', state: 'failed', attempt: 2, last_status: 401, last_error: 'rejected', updated_at: T0 + 5001 }])
    assert.deepStrictEqual(await outbox.claim(T0 + 99_999, 10, 1000), [], 'failed entries are not claimed')
    assert.equal(await outbox.nextDueAt(), null)
    await outbox.request('c1', T0 + 6000, 300)
    assertLike(await outbox.claim(T0 + 6300, 10, 1000), [{ conversation_id: 'c1', attempt: 0, first_at: T0 + 6000 }], 'starts over')
  })

  outboxCase('leases: an abandoned claim comes back when its lease ends; release and recover', async (outbox) => {
    await outbox.request('c1', T0, 0)
    await outbox.request('c2', T0, 0)
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
  declareCases(`FinOutbox contract: ${name}`, cases, options)
}
