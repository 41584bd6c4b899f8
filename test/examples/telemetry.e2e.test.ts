import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { startOtlpReceiver } from '../fixtures/otlp-receiver.js'
import { startHelpdesk } from '../fixtures/spawn.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-example-otel-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

function env (fin: FakeFin): Record<string, string> {
  return {
    FIN_DB_PATH: join(dir, `helpdesk-${++n}.db`),
    FIN_API_TOKEN: 'otel-token-0123456789abcdef',
    CONSOLE_TOKEN: 'console-token-0123456789abcdef',
    FIN_INTEGRATION_ID: 'a3c729d4e8f6b15c',
    FIN_WEBHOOK_KEY: 'whk_secret_0123456789',
    FIN_BASE_URL: `${fin.url}/hooks/standalone`
  }
}

/** A user, a conversation through the Fin API, then an agent's reply in the console (which asks Fin to sync). */
async function walk (base: string, origin: string): Promise<void> {
  const fin = { authorization: 'Bearer otel-token-0123456789abcdef', 'content-type': 'application/json' }
  const user = await (await fetch(`${base}/user`, { method: 'POST', headers: fin, body: JSON.stringify({ name: 'Jane' }) })).json() as { id: string }
  const created = await fetch(`${base}/conversation`, { method: 'POST', headers: fin, body: JSON.stringify({ user_id: user.id, initial_message: { body: '<p>Hi</p>' } }) })
  const { conversation } = await created.json() as { conversation: { id: string } }
  const reply = await fetch(`${origin}/console/conversations/${conversation.id}/messages`, {
    method: 'POST',
    headers: { authorization: 'Bearer console-token-0123456789abcdef', 'content-type': 'application/json' },
    body: JSON.stringify({ author_id: 'agent_sarah', body: 'On it' })
  })
  if (reply.status !== 201) throw new Error(`console reply: ${reply.status}`)
}

t.test('with OTEL_* set: spans and metrics reach an OTLP/HTTP JSON collector, and the SDK flushes on close', async (t) => {
  const collector = await startOtlpReceiver(t)
  const fin = await FakeFin.start(t)
  const helpdesk = await startHelpdesk(t, {
    ...env(fin),
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'helpdesk-under-test',
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    // No span is exported before shutdown: what arrives was flushed by close.
    OTEL_BSP_SCHEDULE_DELAY: '600000'
  })
  t.match(helpdesk.output(), new RegExp(`Telemetry: +OpenTelemetry to ${collector.url}`))
  await walk(helpdesk.base, helpdesk.origin)
  await fin.waitFor(1)
  t.match(fin.received[0]!.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'Fin gets a traceparent')
  // The outbox gauges are observed on each periodic collection.
  await until(() => collector.metrics.has('fin.webhook.deliveries') && collector.metrics.has('fin.outbox.oldest_pending_age'), 'metrics exported')
  t.equal(collector.spans.length, 0, 'spans batched until shutdown')

  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0)
  t.ok(collector.requests.every((r) => r.endsWith('application/json')), 'JSON over HTTP')
  const byName = (name: string) => collector.spans.filter((s) => s.name === name)
  const [api] = byName('fin.api.createConversation')
  t.ok(api, 'the Fin API request span')
  t.equal(api!.service, 'helpdesk-under-test')
  const server = collector.spans.find((s) => s.spanId === api!.parentSpanId)
  t.match(server, { name: 'request', kind: 2 }, 'a child of @fastify/otel\'s SERVER span')
  t.ok(collector.spans.some((s) => s.name === 'fin.storage.createConversation' && s.parentSpanId === api!.spanId), 'storage span under it')
  const [create] = byName('create custom_helpdesk_conversation_event')
  const [send] = byName('send custom_helpdesk_conversation_event')
  t.match(send, { kind: 3, attributes: { 'fin.webhook.event': 'sync', 'fin.webhook.attempt': 1, 'http.response.status_code': 200 } })
  t.same(send!.links.map((l) => [l.traceId, l.spanId]), [[create!.traceId, create!.spanId]], 'the delivery links back to the console reply\'s trace')
  t.equal(fin.received[0]!.headers.traceparent, `00-${send!.traceId}-${send!.spanId}-01`)
  for (const metric of ['fin.api.requests', 'fin.api.request.duration', 'fin.webhook.deliveries', 'fin.outbox.backlog', 'fin.outbox.oldest_pending_age']) {
    t.ok(collector.metrics.has(metric), metric)
  }
})

t.test('without OTEL_EXPORTER_OTLP_ENDPOINT, or with OTEL_SDK_DISABLED=true, no SDK starts and nothing connects', async (t) => {
  const collector = await startOtlpReceiver(t)
  const fin = await FakeFin.start(t)
  const cases = {
    // Variables a started SDK would follow: the per-signal endpoints point at the collector.
    'no endpoint': { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${collector.url}/v1/metrics` },
    'SDK disabled': { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SDK_DISABLED: 'true' }
  }
  // The banner says why it is off: the endpoint is missing, or it is set and the SDK disabled.
  const why = { 'no endpoint': /Telemetry: +off \(set OTEL_EXPORTER_OTLP_ENDPOINT\)\n/, 'SDK disabled': /Telemetry: +off \(OTEL_SDK_DISABLED=true\)\n/ }
  for (const [name, otel] of Object.entries(cases)) {
    const helpdesk = await startHelpdesk(t, { ...env(fin), ...otel, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_METRIC_EXPORT_INTERVAL: '100' })
    t.match(helpdesk.output(), why[name as keyof typeof why], name)
    const before = fin.received.length
    await walk(helpdesk.base, helpdesk.origin)
    await until(() => fin.received.length > before, 'delivered')
    t.equal(fin.received.at(-1)!.headers.traceparent, undefined, `${name}: no trace context sent`)
    // No waiting for export intervals: an SDK, had one started, exports what it holds on close before the process
    // exits (the test above shows it), so the exit is when the collector would have heard from it.
    helpdesk.child.kill('SIGTERM')
    t.equal(await helpdesk.exited, 0)
    t.same(collector.requests, [], `${name}: the collector heard nothing`)
  }
})
