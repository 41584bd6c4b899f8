import t from 'tap'
import { createTelemetry } from '../../lib/telemetry/index.js'
import { buildApp, seedConversation } from '../fixtures/app.js'
import { ManualClock, until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp } from '../fixtures/notify-app.js'
import { startOtel } from '../fixtures/otel.js'

t.test('with the API but no SDK registered: no telemetry at all, and the plugin works', async (t) => {
  t.equal(await createTelemetry('default'), undefined, 'nothing to report to: no hooks, no instruments')
  const { call } = await buildApp(t)
  await seedConversation(call)
  t.equal((await call('GET', '/agents')).statusCode, 200)
})

t.test('an SDK registered later is seen by the next registration (checked once, at register time)', async (t) => {
  startOtel(t)
  const telemetry = await createTelemetry('default')
  t.equal(telemetry?.tracing, true)
})

t.test('a meter provider alone is enough for metrics, without tracing: Fin\'s webhook calls are counted, untraced', async (t) => {
  const otel = startOtel(t, { tracing: false })
  const telemetry = await createTelemetry('default')
  t.equal(telemetry?.tracing, false)

  const fin = await FakeFin.start(t)
  fin.answer({ status: 401 })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => events['notify.failed'].length === 1, 'the sync rejected')
  await app.notifyFin.typing('conv_2', { id: 'a1', name: 'Sarah', email: 'sarah@example.com' })
  await until(() => events['notify.sent'].length === 1, 'the typing event sent')
  t.same(fin.received.map((r) => r.headers.traceparent), [undefined, undefined], 'no trace context sent to Fin')
  const { 'fin.webhook.deliveries': deliveries } = await otel.collect()
  t.same(deliveries, [
    { attributes: { 'fin.webhook.event': 'sync', 'fin.integration': 'default', outcome: 'failed' }, value: 1 },
    { attributes: { 'fin.webhook.event': 'agent_typing', 'fin.integration': 'default', outcome: 'delivered' }, value: 1 }
  ])
  t.same(otel.spans(), [], 'and no span')
})
