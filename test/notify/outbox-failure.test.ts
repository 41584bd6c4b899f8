import t from 'tap'
import { MemoryOutbox } from '../../lib/index.js'
import { ManualClock, until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp } from '../fixtures/notify-app.js'

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
