import t from 'tap'
import { createTelemetry } from '../../lib/telemetry/index.js'
import { buildApp, seedConversation } from '../fixtures/app.js'
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

t.test('a meter provider alone is enough for metrics, without tracing', async (t) => {
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics')
  const { metrics } = await import('@opentelemetry/api')
  const provider = new MeterProvider()
  metrics.setGlobalMeterProvider(provider)
  t.teardown(async () => { metrics.disable(); await provider.shutdown() })
  const telemetry = await createTelemetry('default')
  t.equal(telemetry?.tracing, false)
})
