import t from 'tap'
import { ManualClock, until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp } from '../fixtures/notify-app.js'

const SARAH = { id: 'agent_sarah', name: 'Sarah', email: 'sarah@example.com' }
const OMAR = { id: 'agent_omar', name: 'Omar', email: 'omar@example.com' }

t.test('throttled per conversation and agent', async (t) => {
  const fin = await FakeFin.start(t)
  const clock = new ManualClock()
  const { app } = await buildNotifyApp(t, fin, { clock, typingThrottle: 3000 })
  t.equal(await app.notifyFin.typing('conv_1', SARAH), true)
  t.equal(await app.notifyFin.typing('conv_1', SARAH), false, 'same conversation and agent: throttled')
  t.equal(await app.notifyFin.typing('conv_1', OMAR), true, 'another agent')
  t.equal(await app.notifyFin.typing('conv_2', SARAH), true, 'another conversation')
  await clock.advance(2999)
  t.equal(await app.notifyFin.typing('conv_1', SARAH), false)
  await clock.advance(1)
  t.equal(await app.notifyFin.typing('conv_1', SARAH), true, 'again once the throttle window passed')
  await fin.waitFor(4)
  t.same(fin.received.map((r) => [r.body.conversation_id, r.body.data.agent.id]), [
    ['conv_1', 'agent_sarah'], ['conv_1', 'agent_omar'], ['conv_2', 'agent_sarah'], ['conv_1', 'agent_sarah']
  ])
})

t.test('never persisted: the outbox holds no typing event', async (t) => {
  const fin = await FakeFin.start(t)
  fin.hold()
  const { app } = await buildNotifyApp(t, fin)
  await app.notifyFin.typing('conv_1', SARAH)
  await fin.waitFor(1)
  t.same(await app.notifyFin.stats(), { pending: 0, in_flight: 1, delivered: 0, failed: 0 })
  fin.release()
})

t.test('retried while fresh', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 503 })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: () => 0.5, retry: { baseDelay: 1000 }, typingStaleAfter: 5000 })
  await app.notifyFin.typing('conv_1', SARAH)
  await until(() => events['notify.retry'].length === 1, 'retry')
  t.match(events['notify.retry'][0], { kind: 'typing', delay_ms: 500 })
  await clock.advance(500)
  await until(() => events['notify.sent'].length === 1, 'delivered')
  t.match(events['notify.sent'][0], { kind: 'typing', attempt: 2 })
})

t.test('dropped, not retried, once stale', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 503 }, { status: 429, headers: { 'retry-after': '30' } })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: () => 0.5, retry: { baseDelay: 4000 }, typingStaleAfter: 1000 })
  await app.notifyFin.typing('conv_1', SARAH)
  await until(() => events['notify.failed'].length === 1, 'dropped')
  t.match(events['notify.failed'][0], { kind: 'typing', conversation_id: 'conv_1', status: 503, reason: /dropped: stale/ })
  await app.notifyFin.typing('conv_2', SARAH)
  await until(() => events['notify.failed'].length === 2, 'dropped')
  t.match(events['notify.failed'][1], { status: 429, reason: /dropped: stale/ }, 'a Retry-After past staleness drops it too')
  await clock.advance(60_000)
  t.equal(fin.received.length, 2, 'no retry was sent')
  t.equal(events['notify.retry'].length, 0)
  t.same(await app.notifyFin.failures(), [], 'typing failures are not kept: only syncs are')
})
