import t from 'tap'
import { buildApp, seedConversation } from '../fixtures/app.js'
import { ManualClock, until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp } from '../fixtures/notify-app.js'
import { startOtel } from '../fixtures/otel.js'
import { SqliteOutbox } from '../../lib/sqlite/index.js'

t.test('fin.api.requests and fin.api.request.duration, by operation and status code', async (t) => {
  const otel = startOtel(t)
  const { call } = await buildApp(t)
  const { conversationId } = await seedConversation(call)
  await call('GET', '/conversation', undefined, { conversation_id: conversationId })
  await call('GET', '/conversation', undefined, { conversation_id: conversationId })
  await call('GET', '/conversation', undefined, { conversation_id: 'missing' })
  const collected = await otel.collect()
  const points = (name: string) => collected[name]!.map((p) => [p.attributes['fin.operation'], p.attributes['http.response.status_code'], p.attributes['fin.integration']])
  t.same(points('fin.api.requests'), [['createUser', 201, 'default'], ['createConversation', 201, 'default'], ['getConversation', 200, 'default'], ['getConversation', 404, 'default']])
  t.same(collected['fin.api.requests']!.map((p) => p.value), [1, 1, 2, 1])
  t.same(points('fin.api.request.duration'), points('fin.api.requests'))
  const histogram = collected['fin.api.request.duration']![2]!.value as { count: number, sum: number, buckets: { boundaries: number[] } }
  t.equal(histogram.count, 2)
  t.ok(histogram.sum > 0 && histogram.sum < 5, `in seconds (${histogram.sum})`)
  t.same(histogram.buckets.boundaries, [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10], 'the semantic conventions\' buckets')
})

t.test('outbox backlog and the age of the oldest pending sync, observed at collection', async (t) => {
  const otel = startOtel(t)
  const fin = await FakeFin.start(t)
  fin.answer({ status: 401 })
  const clock = new ManualClock()
  const { app } = await buildNotifyApp(t, fin, { clock, coalesceWindow: 60_000 })
  const gauges = async () => {
    const collected = await otel.collect()
    return {
      backlog: Object.fromEntries(collected['fin.outbox.backlog']!.map((p) => [p.attributes['fin.outbox.state'], p.value])),
      age: collected['fin.outbox.oldest_pending_age']!.map((p) => [p.attributes['fin.integration'], p.value])
    }
  }
  t.same(await gauges(), { backlog: { pending: 0, inflight: 0, failed: 0 }, age: [['default', 0]] })
  await app.notifyFin('conv_1')
  await clock.advance(30_000)
  await app.notifyFin('conv_2')
  await clock.advance(15_000)
  t.same(await gauges(), { backlog: { pending: 2, inflight: 0, failed: 0 }, age: [['default', 45]] }, 'seconds since conv_1 was asked for')
  await clock.advance(15_000)
  await fin.waitFor(1)
  await until(async () => (await gauges()).backlog.failed === 1, 'the rejection recorded')
  const after = await gauges()
  t.equal(after.backlog.failed, 1, 'conv_1 was rejected')
  t.equal(after.backlog.pending + after.backlog.inflight, 1, 'conv_2 still waits')
  t.same(after.age, [['default', 30]], 'the oldest is now conv_2')
})

t.test('an outbox that does not answer: the collection goes on without the backlog gauges', async (t) => {
  const otel = startOtel(t)
  const fin = await FakeFin.start(t)
  const outbox = new SqliteOutbox({ path: ':memory:' })
  const { app } = await buildNotifyApp(t, fin, { clock: new ManualClock(), outbox }, { prefix: '/fin' })
  t.equal((await app.inject({ url: '/fin/agents', headers: { authorization: 'Bearer t-0123456789abcdef' } })).statusCode, 200)
  await outbox.close() // its database gone
  const collected = await otel.collect()
  t.same(collected['fin.api.requests']!.map((p) => p.value), [1], 'the other metrics are collected')
  t.same(collected['fin.outbox.backlog'] ?? [], [], 'no backlog reported: not a made-up zero')
  t.same(collected['fin.outbox.oldest_pending_age'] ?? [], [])
})
