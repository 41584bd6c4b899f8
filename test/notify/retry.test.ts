import { createServer } from 'node:net'
import t from 'tap'
import { backoffDelay, retryAfterMs } from '../../lib/notify/backoff.js'
import { ManualClock, until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp } from '../fixtures/notify-app.js'

// random 0.5: each delay is half its ceiling, so the schedule is exact: 500, 1000, 2000, ... ms.
const half = (): number => 0.5

t.test('backoff: capped exponential with full jitter; Retry-After in seconds or as a date', async (t) => {
  t.same([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1000, 8000, () => 0.999999)), [999, 1999, 3999, 7999, 7999, 7999])
  t.same([1, 2, 3].map((n) => backoffDelay(n, 1000, 8000, () => 0)), [0, 0, 0], 'full jitter reaches down to 0')
  const now = Date.parse('2026-01-01T00:00:00Z')
  t.equal(retryAfterMs('7', now), 7000)
  t.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000)
  t.equal(retryAfterMs('soon', now), undefined)
  t.equal(retryAfterMs(null, now), undefined)
})

t.test('5xx is retried on the backoff schedule, then delivered', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 500 }, { status: 502 }, { status: 503 })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: half, retry: { baseDelay: 1000, maxDelay: 60_000 } })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await fin.waitFor(1)
  for (const [i, delay] of [[1, 500], [2, 1000], [3, 2000]] as const) {
    await until(() => events['notify.retry'].length === i, `retry ${i}`)
    t.match(events['notify.retry'][i - 1], { kind: 'sync', conversation_id: 'conv_1', attempt: i, delay_ms: delay, status: Number })
    await clock.advance(delay - 1)
    t.equal(fin.received.length, i, `no call before ${delay} ms`)
    await clock.advance(1)
    await fin.waitFor(i + 1)
  }
  await until(() => events['notify.sent'].length === 1, 'delivered')
  t.match(events['notify.sent'][0], { attempt: 4, status: 200 })
  t.same(fin.received.map((r) => r.body), Array(4).fill({ conversation_id: 'conv_1' }))
  t.same(await app.notifyFin.stats(), { pending: 0, in_flight: 0, delivered: 1, failed: 0 })
})

t.test('429 honours Retry-After; 408 is retried', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 429, headers: { 'retry-after': '7' } }, { status: 408 })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: half })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => events['notify.retry'].length === 1, '429')
  t.match(events['notify.retry'][0], { status: 429, delay_ms: 7000 })
  await clock.advance(6999)
  t.equal(fin.received.length, 1)
  await clock.advance(1)
  await until(() => events['notify.retry'].length === 2, '408')
  t.match(events['notify.retry'][1], { status: 408, attempt: 2, delay_ms: 1000 })
  await clock.advance(1000)
  await until(() => events['notify.sent'].length === 1, 'delivered')
})

t.test('other 4xx are not retried: notify.failed, logged, inspectable, and a new call starts over', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 401, body: '{"error":"bad key"}' })
  const clock = new ManualClock()
  const { app, events, logs } = await buildNotifyApp(t, fin, { clock, random: half })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => events['notify.failed'].length === 1, 'failed')
  t.match(events['notify.failed'][0], { kind: 'sync', conversation_id: 'conv_1', attempt: 1, status: 401, reason: /rejected by Fin: HTTP 401/ })
  await clock.advance(60_000)
  t.equal(fin.received.length, 1, 'never retried')
  t.match(await app.notifyFin.failures(), [{ conversation_id: 'conv_1', attempts: 1, status: 401, reason: /HTTP 401/, failed_at: '2026-01-01T00:00:00.000Z' }])
  t.match(await app.notifyFin.stats(), { failed: 1, pending: 0 })
  t.ok(logs.some((line) => line.includes('gave up notifying Fin') && line.includes('conv_1')))
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => events['notify.sent'].length === 1, 'a new change is delivered')
  t.same(await app.notifyFin.failures(), [])
})

t.test('timeouts, connection resets and a server that is down are retried', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 200, delay: 1000 }, 'reset')
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: half, timeout: 100 })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => events['notify.retry'].length === 1, 'timeout')
  t.match(events['notify.retry'][0], { status: null, error: 'timeout after 100 ms' })
  await clock.advance(500)
  await until(() => events['notify.retry'].length === 2, 'reset')
  t.match(events['notify.retry'][1], { status: null, error: /ECONNRESET|socket|other side closed/i })
  await clock.advance(1000)
  await until(() => events['notify.sent'].length === 1, 'delivered')

  // A port nobody listens on.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const down = await buildNotifyApp(t, fin, { clock, random: half, baseUrl: `http://127.0.0.1:${port}` })
  await down.app.notifyFin('conv_2')
  await clock.advance(0)
  await until(() => down.events['notify.retry'].length === 1, 'refused')
  t.match(down.events['notify.retry'][0], { error: 'ECONNREFUSED' })
})

t.test('gives up after maxAge with notify.failed', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer(...Array(50).fill({ status: 503 }))
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: half, retry: { baseDelay: 1000, maxDelay: 4000, maxAge: 10_000 } })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  const delays: number[] = []
  while (events['notify.failed'].length === 0) {
    await until(() => events['notify.retry'].length > delays.length || events['notify.failed'].length > 0, 'an outcome')
    if (events['notify.failed'].length > 0) break
    const delay = events['notify.retry'][delays.length]!.delay_ms
    delays.push(delay)
    await clock.advance(delay)
  }
  t.same(delays, [500, 1000, 2000, 2000, 2000, 2000, 500], 'doubling, capped at maxDelay (4000 ms, halved by the jitter); the last one at the 10 s deadline')
  t.match(events['notify.failed'][0], { attempt: 8, status: 503, reason: /gave up after 8 attempts/ }, 'the attempt at the deadline was the last')
  t.match(await app.notifyFin.failures(), [{ conversation_id: 'conv_1', attempts: 8, status: 503, failed_at: '2026-01-01T00:00:10.000Z' }])
})

t.test('Retry-After: 0 is raised to the minimum delay: no busy loop', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer(...Array(50).fill({ status: 503, headers: { 'retry-after': '0' } }))
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: half, retry: { baseDelay: 1000, maxDelay: 60_000 } })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  for (let i = 1; i <= 4; i++) {
    await until(() => events['notify.retry'].length === i, `retry ${i}`)
    t.match(events['notify.retry'][i - 1], { status: 503, delay_ms: 1000 })
    await clock.advance(i < 4 ? 1000 : 300)
  }
  t.equal(fin.received.length, 4, '3.3 s of Retry-After: 0 make 4 calls, not a thousand')
})

t.test('a huge Retry-After is capped at maxDelay; one past maxAge retries at the deadline, then gives up', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 503, headers: { 'retry-after': '31536000' } }, { status: 429, headers: { 'retry-after': '30' } }, { status: 503 })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: half, retry: { baseDelay: 1000, maxDelay: 8000, maxAge: 17_000 } })
  await app.notifyFin('conv_1')
  await clock.advance(0)
  await until(() => events['notify.retry'].length === 1, 'a year of Retry-After')
  t.match(events['notify.retry'][0], { attempt: 1, status: 503, delay_ms: 8000 }, 'capped at maxDelay, not given up')
  t.equal(events['notify.failed'].length, 0)
  await clock.advance(8000)
  await until(() => events['notify.retry'].length === 2, '30 s past a 17 s maxAge')
  t.match(events['notify.retry'][1], { attempt: 2, status: 429, delay_ms: 8000 }, 'capped again')
  await clock.advance(8000)
  await until(() => events['notify.retry'].length === 3, 'the backoff would pass maxAge')
  t.match(events['notify.retry'][2], { attempt: 3, status: 503, delay_ms: 1000 }, 'the backoff\'s 2 s would pass 17 s: the last attempt is at the deadline')
  await clock.advance(1000)
  await until(() => events['notify.sent'].length === 1, 'delivered at the deadline')
  t.equal(fin.received.length, 4)
})
