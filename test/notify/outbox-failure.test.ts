import t from 'tap'
import { MemoryOutbox } from '../../lib/index.js'
import { ManualClock, until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp } from '../fixtures/notify-app.js'
import { SqliteOutbox } from '../../lib/sqlite/index.js'

// An outbox that fails (a database gone for a moment) never crashes the notifier: it logs, polls again, and the
// sync is delivered once the outbox answers.
class FlakyOutbox extends MemoryOutbox {
  failClaims = 0
  override async claim (...args: Parameters<MemoryOutbox['claim']>): ReturnType<MemoryOutbox['claim']> {
    if (this.failClaims > 0) {
      this.failClaims--
      throw new Error('outbox down (claim)')
    }
    return super.claim(...args)
  }
}

t.test('a failing claim is logged and retried after the poll interval; the sync is then delivered', async (t) => {
  const fin = await FakeFin.start(t)
  const clock = new ManualClock()
  const outbox = new FlakyOutbox()
  const { app, logs, events } = await buildNotifyApp(t, fin, { clock, outbox, coalesceWindow: 0, pollInterval: 1000 })
  outbox.failClaims = 1
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => logs.some((line) => line.includes('the notify outbox failed; retrying')), 'the failure logged')
  t.match(logs.find((line) => line.includes('the notify outbox failed'))!, /outbox down \(claim\)/)
  t.equal(fin.received.length, 0, 'nothing sent while the outbox failed')
  await clock.advance(1000)
  await until(() => events['notify.sent'].length === 1, 'delivered once the outbox answered')
  t.same(fin.received.map((r) => r.body), [{ conversation_id: 'conv_1' }])
})

t.test('an outbox that cannot record a delivery: logged, and the sync comes back when its lease ends (at least once)', async (t) => {
  const fin = await FakeFin.start(t)
  const clock = new ManualClock()
  const outbox = new SqliteOutbox({ path: ':memory:' })
  t.teardown(() => outbox.close())
  const { app, logs, events } = await buildNotifyApp(t, fin, { clock, outbox, coalesceWindow: 0, lease: 30_000, pollInterval: 1000 })
  // A delivered sync leaves the outbox by a DELETE: refused, as by a database gone read-only.
  outbox.db.exec('CREATE TRIGGER outbox_read_only BEFORE DELETE ON fin_outbox BEGIN SELECT RAISE(ABORT, \'attempt to write a readonly database\'); END')
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => logs.some((line) => line.includes('could not record a delivery in the outbox')), 'the failure logged')
  t.match(JSON.parse(logs.find((line) => line.includes('could not record a delivery'))!), { level: 50, conversation: 'conv_1', err: { message: 'attempt to write a readonly database' } })
  t.equal(fin.received.length, 1, 'Fin had the sync')
  t.same(events['notify.sent'], [], 'but it is not counted as delivered')
  t.same(await outbox.counts(), { pending: 0, inflight: 1, failed: 0 }, 'still claimed')

  outbox.db.exec('DROP TRIGGER outbox_read_only')
  // To the lease's last millisecond, then past it: the outbox names the lease end as next due but takes the entry
  // over only once it has passed; the loop waits that millisecond rather than spin (ManualClock throws on a spin).
  await clock.advance(30_000)
  await clock.advance(1)
  await until(() => events['notify.sent'].length === 1, 'delivered again once the lease ended')
  t.same(fin.received.map((r) => r.body), [{ conversation_id: 'conv_1' }, { conversation_id: 'conv_1' }], 'sent twice: at least once, never lost')
  t.same(await outbox.counts(), { pending: 0, inflight: 0, failed: 0 })
})
