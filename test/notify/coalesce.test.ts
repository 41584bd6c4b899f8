import t from 'tap'
import { ManualClock, until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp } from '../fixtures/notify-app.js'

t.test('200 calls on one conversation within the window make one POST, after the last call', async (t) => {
  const fin = await FakeFin.start(t)
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, coalesceWindow: 300 })
  for (let i = 0; i < 200; i++) {
    await app.notifyFin('conv_1')
    if (i % 2 === 0) await clock.advance(1) // spread over 100 ms
  }
  const lastCallAt = clock.now()
  t.same(await app.notifyFin.stats(), { pending: 1, in_flight: 0, delivered: 0, failed: 0 }, 'one pending entry')
  await clock.advance(199)
  t.equal(fin.received.length, 0, 'nothing before the window ends')
  await clock.advance(1)
  await until(() => events['notify.sent'].length === 1, 'delivered')
  t.equal(fin.received.length, 1)
  t.ok(clock.now() >= lastCallAt, 'the POST follows the last call')
  await clock.advance(10_000)
  t.equal(fin.received.length, 1, 'and nothing more')
})

t.test('calls while a POST is in flight make exactly one more after it', async (t) => {
  const fin = await FakeFin.start(t)
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, coalesceWindow: 300 })
  fin.hold()
  await app.notifyFin('conv_1')
  await clock.advance(300)
  await fin.waitFor(1)
  for (let i = 0; i < 50; i++) await app.notifyFin('conv_1')
  t.match(await app.notifyFin.stats(), { in_flight: 1, pending: 0 })
  fin.release()
  await until(() => events['notify.sent'].length === 1, 'first delivered')
  t.match(await app.notifyFin.stats(), { pending: 1 }, 'the calls made during the POST left one pending sync')
  await clock.advance(300)
  await until(() => events['notify.sent'].length === 2, 'second delivered')
  await clock.advance(10_000)
  t.equal(fin.received.length, 2, 'exactly two POSTs')
  t.equal(fin.maxPerConversation, 1, 'never two at once for one conversation')
  t.same(await app.notifyFin.stats(), { pending: 0, in_flight: 0, delivered: 2, failed: 0 })
})

t.test('different conversations are separate POSTs, bounded in concurrency, each in order', async (t) => {
  const fin = await FakeFin.start(t)
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, coalesceWindow: 100, concurrency: 2 })
  fin.hold()
  for (let i = 0; i < 6; i++) await app.notifyFin(`conv_${i}`)
  await clock.advance(100)
  await fin.waitFor(2)
  // No sleep to see that nothing more goes out: the notifier's own count says two are in flight and four wait.
  t.same(await app.notifyFin.stats(), { pending: 4, in_flight: 2, delivered: 0, failed: 0 }, 'two in flight, the rest wait')
  fin.release()
  await until(() => events['notify.sent'].length === 6, 'all delivered')
  t.equal(fin.maxInFlight, 2)
  t.same(fin.received.map((r) => r.body.conversation_id).sort(), ['conv_0', 'conv_1', 'conv_2', 'conv_3', 'conv_4', 'conv_5'])
})

t.test('a sync being retried takes later calls with it: Fin pulls the latest state anyway', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 503 })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, coalesceWindow: 0, random: () => 0.5 })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => events['notify.retry'].length === 1, 'retry scheduled')
  await app.notifyFin('conv_1')
  await app.notifyFin('conv_1')
  await clock.advance(500)
  await until(() => events['notify.sent'].length === 1, 'delivered')
  await clock.advance(5000)
  t.equal(fin.received.length, 2, 'the failed call and one retry: the later calls rode on it')
})
