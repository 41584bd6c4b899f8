import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import t from 'tap'
import { SqliteOutbox } from '../../lib/sqlite/index.js'
import { ManualClock, until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp } from '../fixtures/notify-app.js'
import { startOtel } from '../fixtures/otel.js'

const half = (): number => 0.5
const tracer = trace.getTracer('test')

/** Runs `fn` inside a span of the host app's own (the console reply that asks for the sync). */
async function inSpan (name: string, fn: () => Promise<unknown>): Promise<{ traceId: string, spanId: string }> {
  return tracer.startActiveSpan(name, async (span) => {
    await fn()
    span.end()
    return span.spanContext()
  })
}

t.test('a retried sync: a CLIENT span per attempt, each linked to the create span under the asking span; traceparent sent', async (t) => {
  const otel = startOtel(t)
  const fin = await FakeFin.start(t)
  fin.answer({ status: 503 })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: half, retry: { baseDelay: 1000 } })

  const asker = await inSpan('console reply', () => app.notifyFin('conv_1'))
  const [create] = otel.spans('create custom_helpdesk_conversation_event')
  t.equal(create!.kind, SpanKind.PRODUCER)
  t.equal(create!.parentSpanContext?.spanId, asker.spanId, 'the create span is a child of the span that asked')
  t.same(create!.attributes, {
    'messaging.system': 'intercom_fin',
    'messaging.destination.name': 'custom_helpdesk_conversation_event',
    'fin.integration': 'default',
    'messaging.operation.type': 'create',
    'messaging.operation.name': 'create',
    'fin.webhook.event': 'sync',
    'fin.conversation_id': 'conv_1'
  })

  await clock.advance(0)
  await until(() => events['notify.retry'].length === 1, 'first attempt failed')
  await clock.advance(500)
  await until(() => events['notify.sent'].length === 1, 'second attempt delivered')

  const sends = otel.spans('send custom_helpdesk_conversation_event')
  t.equal(sends.length, 2)
  for (const [i, send] of sends.entries()) {
    t.equal(send.kind, SpanKind.CLIENT)
    t.equal(send.parentSpanContext, undefined, 'a delivery starts a trace of its own')
    t.not(send.spanContext().traceId, asker.traceId)
    t.same(send.links.map((l) => [l.context.traceId, l.context.spanId]), [[asker.traceId, create!.spanContext().spanId]], 'linked back to the create span')
    t.match(send.attributes, {
      'messaging.system': 'intercom_fin',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'custom_helpdesk_conversation_event',
      'fin.webhook.event': 'sync',
      'fin.webhook.attempt': i + 1,
      'fin.conversation_id': 'conv_1',
      'http.request.method': 'POST',
      'url.full': `${fin.url}/hooks/standalone/custom_helpdesk_conversation_event/a3c729d4e8f6b15c`,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(fin.url).port)
    })
    const { traceId, spanId } = send.spanContext()
    t.equal(fin.received[i]!.headers.traceparent, `00-${traceId}-${spanId}-01`, 'Fin gets the attempt\'s traceparent')
  }
  t.match(sends[0], { status: { code: SpanStatusCode.ERROR }, attributes: { 'http.response.status_code': 503, outcome: 'retry', 'error.type': '503' } })
  t.match(sends[1], { status: { code: SpanStatusCode.UNSET }, attributes: { 'http.response.status_code': 200, outcome: 'delivered' } })
  t.notOk('error.type' in sends[1]!.attributes)

  const { 'fin.webhook.deliveries': deliveries } = await otel.collect()
  t.same(deliveries, [
    { attributes: { 'fin.webhook.event': 'sync', 'fin.integration': 'default', outcome: 'retry' }, value: 1 },
    { attributes: { 'fin.webhook.event': 'sync', 'fin.integration': 'default', outcome: 'delivered' }, value: 1 }
  ])
})

t.test('a rejected sync counts as failed; a typing event is a CLIENT span in the caller\'s trace', async (t) => {
  const otel = startOtel(t)
  const fin = await FakeFin.start(t)
  fin.answer({ status: 401 })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => events['notify.failed'].length === 1, 'rejected')
  t.match(otel.spans('send custom_helpdesk_conversation_event'), [{ status: { code: SpanStatusCode.ERROR }, attributes: { outcome: 'failed', 'http.response.status_code': 401 } }])

  const asker = await inSpan('agent types', () => app.notifyFin.typing('conv_2', { id: 'a1', name: 'Sarah', email: 'sarah@example.com' }))
  await until(() => events['notify.sent'].length === 1, 'typing sent')
  const typing = otel.spans('send custom_helpdesk_conversation_event').find((s) => s.attributes['fin.webhook.event'] === 'agent_typing')
  t.equal(typing!.kind, SpanKind.CLIENT)
  t.equal(typing!.parentSpanContext?.spanId, asker.spanId)
  t.equal(typing!.spanContext().traceId, asker.traceId)
  t.match(typing!.attributes, { 'fin.webhook.attempt': 1, 'fin.conversation_id': 'conv_2', outcome: 'delivered' })
  const { 'fin.webhook.deliveries': deliveries } = await otel.collect()
  t.same(deliveries, [
    { attributes: { 'fin.webhook.event': 'sync', 'fin.integration': 'default', outcome: 'failed' }, value: 1 },
    { attributes: { 'fin.webhook.event': 'agent_typing', 'fin.integration': 'default', outcome: 'delivered' }, value: 1 }
  ])
})

t.test('the link survives a restart: the trace context is kept in the SQLite outbox', async (t) => {
  const otel = startOtel(t)
  const dir = mkdtempSync(join(tmpdir(), 'fin-otel-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'outbox.db')
  const fin = await FakeFin.start(t)
  const clock = new ManualClock()

  const outboxes = [new SqliteOutbox({ path }), new SqliteOutbox({ path })]
  t.teardown(async () => { for (const outbox of outboxes) await outbox.close() })
  const first = await buildNotifyApp(t, fin, { clock, coalesceWindow: 60_000, outbox: outboxes[0] })
  const asker = await inSpan('console reply', () => first.app.notifyFin('conv_1'))
  await first.app.close()
  t.equal(fin.received.length, 0, 'not delivered before the restart')
  const [create] = otel.spans('create custom_helpdesk_conversation_event')

  const second = await buildNotifyApp(t, fin, { clock, coalesceWindow: 60_000, outbox: outboxes[1] })
  await clock.advance(60_000)
  await until(() => second.events['notify.sent'].length === 1, 'delivered by the next process')
  const [send] = otel.spans('send custom_helpdesk_conversation_event')
  t.same(send!.links.map((l) => [l.context.traceId, l.context.spanId]), [[asker.traceId, create!.spanContext().spanId]])
})
