import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk from '../../lib/index.js'
import { FinNotifyNotConfiguredError, FinValidationError } from '../../lib/errors.js'
import { resolveNotifyOptions } from '../../lib/notify/options.js'
import { until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp, INTEGRATION_ID, WEBHOOK_KEY } from '../fixtures/notify-app.js'

const PATH = `/hooks/standalone/custom_helpdesk_conversation_event/${INTEGRATION_ID}`

t.test('a sync: exact path, headers and payload', async (t) => {
  const fin = await FakeFin.start(t)
  const { app, events } = await buildNotifyApp(t, fin)
  await app.notifyFin('conv_456')
  const [event] = await fin.waitFor(1)
  t.equal(event!.path, PATH)
  t.equal(event!.headers['x-webhook-key'], WEBHOOK_KEY)
  t.equal(event!.headers['content-type'], 'application/json')
  t.same(event!.body, { conversation_id: 'conv_456' }, 'no event_type, no data')
  await until(() => events['notify.sent'].length === 1, 'notify.sent')
  t.match(events['notify.sent'][0], { integration: 'default', kind: 'sync', conversation_id: 'conv_456', attempt: 1, status: 200, latency_ms: Number })
  t.same(await app.notifyFin.stats(), { pending: 0, in_flight: 0, delivered: 1, failed: 0 })
})

t.test('typing: exact payload with the agent\'s four fields', async (t) => {
  const fin = await FakeFin.start(t)
  const { app } = await buildNotifyApp(t, fin)
  t.equal(await app.notifyFin.typing('conv_456', { id: 'agent_001', name: 'Sarah Johnson', email: 'sarah.johnson@company.com' }), true)
  const [event] = await fin.waitFor(1)
  t.equal(event!.path, PATH)
  t.equal(event!.headers['x-webhook-key'], WEBHOOK_KEY)
  t.same(event!.body, {
    conversation_id: 'conv_456',
    event_type: 'agent_typing',
    data: { agent: { id: 'agent_001', user_type: 'agent', name: 'Sarah Johnson', email: 'sarah.johnson@company.com' } }
  })
})

t.test('regions and the base URL override', async (t) => {
  const url = (options: object) => resolveNotifyOptions({ integrationId: 'abc', webhookKey: 'k', ...options }).url
  t.equal(url({}), 'https://api.intercom.io/hooks/standalone/custom_helpdesk_conversation_event/abc')
  t.equal(url({ region: 'us' }), 'https://api.intercom.io/hooks/standalone/custom_helpdesk_conversation_event/abc')
  t.equal(url({ region: 'eu' }), 'https://api.eu.intercom.io/hooks/standalone/custom_helpdesk_conversation_event/abc')
  t.equal(url({ region: 'au' }), 'https://api.au.intercom.io/hooks/standalone/custom_helpdesk_conversation_event/abc')
  t.equal(url({ region: 'eu', baseUrl: 'http://127.0.0.1:9/fin/' }), 'http://127.0.0.1:9/fin/custom_helpdesk_conversation_event/abc')
  t.equal(resolveNotifyOptions({ integrationId: 'a/b c', webhookKey: 'k' }).url, 'https://api.intercom.io/hooks/standalone/custom_helpdesk_conversation_event/a%2Fb%20c')
  t.throws(() => resolveNotifyOptions({ integrationId: '', webhookKey: 'k' }), { code: 'FIN_ERR_OPTIONS', message: /integrationId/ })
  t.throws(() => resolveNotifyOptions({ integrationId: 'a', webhookKey: 'k', region: 'mars' as 'us' }), { code: 'FIN_ERR_OPTIONS', message: /region/ })
  t.throws(() => resolveNotifyOptions({ integrationId: 'a', webhookKey: 'k', baseUrl: 'ftp://x' }), { code: 'FIN_ERR_OPTIONS', message: /baseUrl/ })
  t.throws(() => resolveNotifyOptions({ integrationId: 'a', webhookKey: 'k', concurrency: 0 }), { code: 'FIN_ERR_OPTIONS', message: /concurrency/ })
})

t.test('durations and counts must be >= 1; only coalesceWindow, typingThrottle and drainTimeout may be 0 (off)', async (t) => {
  const resolve = (options: object) => resolveNotifyOptions({ integrationId: 'a', webhookKey: 'k', ...options })
  for (const name of ['timeout', 'concurrency', 'typingStaleAfter', 'lease', 'pollInterval']) {
    t.throws(() => resolve({ [name]: 0 }), { code: 'FIN_ERR_OPTIONS', message: `notify.${name} must be a number >= 1` }, `${name}: 0`)
  }
  for (const name of ['baseDelay', 'maxDelay', 'maxAge']) {
    t.throws(() => resolve({ retry: { [name]: 0 } }), { code: 'FIN_ERR_OPTIONS', message: `notify.retry.${name} must be a number >= 1` }, `retry.${name}: 0`)
  }
  const off = resolve({ coalesceWindow: 0, typingThrottle: 0, drainTimeout: 0 })
  t.same([off.coalesceWindow, off.typingThrottle, off.drainTimeout], [0, 0, 0])
  t.throws(() => resolve({ coalesceWindow: -1 }), { code: 'FIN_ERR_OPTIONS', message: 'notify.coalesceWindow must be a number >= 0' })
  t.equal(resolve({}).outbox, undefined, 'no outbox is built: the plugin makes the default one')
})

t.test('a redirect is never followed: the webhook key reaches no other host; the 3xx is a failed attempt naming its Location', async (t) => {
  const fin = await FakeFin.start(t)
  const elsewhere = await FakeFin.start(t)
  const location = `${elsewhere.url}/steal`
  for (const status of [301, 302, 303, 307, 308]) fin.answer({ status, headers: { location } })
  fin.answer({ status: 302 })
  const { app, events, logs } = await buildNotifyApp(t, fin, { retry: { baseDelay: 1, maxDelay: 2 } })
  await app.notifyFin('conv_1')
  await until(() => events['notify.sent'].length === 1, 'delivered once Fin stops redirecting')
  t.equal(elsewhere.received.length, 0, 'the other host received nothing')
  t.equal(fin.received.length, 7, 'six redirected attempts, then the accepted one')
  t.same(events['notify.retry'].map((e) => e.status), [301, 302, 303, 307, 308, 302])
  t.match(events['notify.retry'][3], { error: `HTTP 307 redirect to ${location}, not followed` })
  t.match(events['notify.retry'][5], { error: 'HTTP 302 redirect to (no Location), not followed' }, 'a redirect to nowhere says so')
  t.ok(logs.some((line) => line.includes('will retry') && line.includes(location)), 'logged with its Location')
})

t.test('the webhook key never travels in clear: http baseUrl only on loopback or by explicit opt-in', async (t) => {
  const url = (options: object) => resolveNotifyOptions({ integrationId: 'abc', webhookKey: 'k', ...options }).url
  t.throws(() => url({ baseUrl: 'http://fin.example.com/hooks' }), { code: 'FIN_ERR_OPTIONS', message: /must be https/ })
  t.throws(() => url({ baseUrl: 'http://10.0.0.5:8080' }), { code: 'FIN_ERR_OPTIONS', message: /must be https/ })
  t.throws(() => url({ baseUrl: 'http://127.0.0.1.evil.example' }), { code: 'FIN_ERR_OPTIONS', message: /must be https/ })
  t.throws(() => url({ baseUrl: 'http://localhost.evil.example' }), { code: 'FIN_ERR_OPTIONS', message: /must be https/ })
  t.equal(url({ baseUrl: 'https://fin.example.com/hooks' }), 'https://fin.example.com/hooks/custom_helpdesk_conversation_event/abc')
  t.equal(url({ baseUrl: 'http://localhost:9' }), 'http://localhost:9/custom_helpdesk_conversation_event/abc')
  t.equal(url({ baseUrl: 'http://127.0.0.2:9' }), 'http://127.0.0.2:9/custom_helpdesk_conversation_event/abc')
  t.equal(url({ baseUrl: 'http://[::1]:9' }), 'http://[::1]:9/custom_helpdesk_conversation_event/abc')
  t.equal(url({ baseUrl: 'http://10.0.0.5:8080', allowInsecureBaseUrl: true }), 'http://10.0.0.5:8080/custom_helpdesk_conversation_event/abc')
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(finHelpdesk, { tokens: ['t-0123456789abcdef'], notify: { integrationId: 'i', webhookKey: 'k', baseUrl: 'http://fin.example.com' } })
  await t.rejects(Promise.resolve(app.ready()), { code: 'FIN_ERR_OPTIONS' }, 'refused at register time')
})

t.test('a baseUrl with a user or password is refused at register, naming no part of it: fetch would refuse every delivery, its error (logged at each retry) carrying the URL', async (t) => {
  const url = (options: object) => resolveNotifyOptions({ integrationId: 'abc', webhookKey: 'k', ...options }).url
  for (const baseUrl of ['https://user:hunter2-pass@fin.example.com/hooks', 'https://user@fin.example.com', 'https://:hunter2-pass@fin.example.com', 'http://u:hunter2-pass@127.0.0.1:9',
    // A password holding "/" or "#" after digits: host "u", port 2024, and the rest of it in the path or fragment.
    'https://u:2024/hunter2-pass@fin.example.com', 'https://u:2024#hunter2-pass@fin.example.com']) {
    let caught: unknown
    try { url({ baseUrl }) } catch (err) { caught = err }
    t.match(caught, { code: 'FIN_ERR_OPTIONS', message: 'Invalid fastify-fin-helpdesk options: notify.baseUrl must not contain a user or password' }, baseUrl)
  }
  // A password with "/" before any digit: no URL at all. Refused as such, without echoing it either.
  t.throws(() => url({ baseUrl: 'https://user:pa/hunter2-pass@fin.example.com' }), { code: 'FIN_ERR_OPTIONS', message: 'Invalid fastify-fin-helpdesk options: notify.baseUrl must be an http(s) URL' })

  const logs: string[] = []
  const app = Fastify({ logger: { level: 'trace', stream: { write: (line: string) => { logs.push(line) } } } })
  t.teardown(() => app.close())
  app.register(finHelpdesk, { tokens: ['t-0123456789abcdef'], notify: { integrationId: 'i', webhookKey: 'k', baseUrl: 'https://fin:hunter2-pass@fin.example.com' } })
  const err = await Promise.resolve(app.ready()).then(() => undefined, (e: unknown) => e)
  t.match(err, { code: 'FIN_ERR_OPTIONS', message: /notify\.baseUrl must not contain a user or password/ }, 'refused at register time')
  t.notMatch(String((err as Error | undefined)?.message) + logs.join(''), /hunter2/, 'the password is in no message and no log line')
})

t.test('connections to Fin are reused (keep-alive)', async (t) => {
  const fin = await FakeFin.start(t)
  const { app } = await buildNotifyApp(t, fin)
  for (let i = 0; i < 10; i++) {
    await app.notifyFin(`conv_${i}`)
    await fin.waitFor(i + 1)
    await until(async () => (await app.notifyFin.stats()).in_flight === 0, 'delivery')
  }
  t.equal(fin.connections, 1, '10 webhook calls over one connection')
})

t.test('bad calls are refused; unconfigured integrations say so', async (t) => {
  const fin = await FakeFin.start(t)
  const { app } = await buildNotifyApp(t, fin)
  await t.rejects(app.notifyFin(''), FinValidationError)
  await t.rejects(app.notifyFin(42 as unknown as string), { code: 'FIN_ERR_VALIDATION' })
  await t.rejects(app.notifyFin.typing('c', { id: 'a', name: 'A' } as never), { code: 'FIN_ERR_VALIDATION', message: /agent\.email/ })
  await t.rejects(app.notifyFin('c', { integration: 'other' }), { code: 'FIN_ERR_OPTIONS' })
  const plain = Fastify()
  t.teardown(() => plain.close())
  await plain.register(finHelpdesk, { tokens: ['t-0123456789abcdef'] })
  await t.rejects(plain.notifyFin('c'), FinNotifyNotConfiguredError)
  t.equal(fin.received.length, 0)
})

t.test('two integrations: notifyFin says which one it speaks for', async (t) => {
  const finA = await FakeFin.start(t)
  const finB = await FakeFin.start(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { name: 'brand-a', prefix: '/a', tokens: ['t-0123456789abcdef'], notify: { integrationId: 'int_a', webhookKey: 'key_a', baseUrl: finA.url, coalesceWindow: 0 } })
  await app.register(finHelpdesk, { name: 'brand-b', prefix: '/b', tokens: ['t-0123456789abcdef'], notify: { integrationId: 'int_b', webhookKey: 'key_b', baseUrl: finB.url, coalesceWindow: 0 } })
  await app.ready()
  await app.notifyFin('conv_b', { integration: 'brand-b' })
  await app.notifyFin('conv_a')
  const [b] = await finB.waitFor(1)
  const [a] = await finA.waitFor(1)
  t.match(b, { path: '/custom_helpdesk_conversation_event/int_b', headers: { 'x-webhook-key': 'key_b' }, body: { conversation_id: 'conv_b' } })
  t.match(a, { path: '/custom_helpdesk_conversation_event/int_a', headers: { 'x-webhook-key': 'key_a' }, body: { conversation_id: 'conv_a' } }, 'the default is the first registered')
})

t.test('the webhook key never reaches the logs', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 500, body: 'boom' }, { status: 401, body: 'bad key' })
  const { app, logs, events } = await buildNotifyApp(t, fin, { retry: { baseDelay: 1, maxDelay: 1 } })
  await app.notifyFin('conv_1')
  await until(() => events['notify.failed'].length === 1, 'the 401 is given up on')
  t.ok(logs.some((line) => line.includes('will retry')) && logs.some((line) => line.includes('gave up')), 'failures are logged')
  t.notOk(logs.some((line) => line.includes(WEBHOOK_KEY)), 'no log line holds the key')
})

t.test('what the endpoint answers is logged and reported without the webhook key, even when it echoes the key back', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer(
    { status: 307, headers: { location: `https://elsewhere.example/steal?k=${WEBHOOK_KEY}` } },
    { status: 503, body: `bad key ${WEBHOOK_KEY} ${encodeURIComponent(WEBHOOK_KEY)}` },
    { status: 502, body: '' },
    { status: 400, body: `x-webhook-key was ${WEBHOOK_KEY}${'.'.repeat(100_000)}` }
  )
  const { app, events, logs } = await buildNotifyApp(t, fin, { retry: { baseDelay: 1, maxDelay: 2 } })
  await app.notifyFin('conv_1')
  await until(() => events['notify.failed'].length === 1, 'given up on the 400')
  const reported = [...events['notify.retry'].map((e) => e.error), events['notify.failed'][0]?.reason ?? '']
  t.same(reported, [
    'HTTP 307 redirect to https://elsewhere.example/steal?k=[webhook key], not followed',
    'HTTP 503: bad key [webhook key] [webhook key]',
    'HTTP 502',
    `rejected by Fin: HTTP 400: x-webhook-key was [webhook key]${'.'.repeat(200 - 'x-webhook-key was [webhook key]'.length)}`
  ])
  t.notOk(logs.some((line) => line.includes(WEBHOOK_KEY)), 'no log line holds the key')
})

t.test('a key straddling the cut of the error text is scrubbed first: no fragment reaches logs, events or the outbox', async (t) => {
  const fin = await FakeFin.start(t)
  // The key starts 5 characters before the 200th: cutting first, then scrubbing, left "whk_s" in the error.
  const padding = 'x'.repeat(195)
  fin.answer(
    { status: 503, body: `${padding}${WEBHOOK_KEY} tail` },
    { status: 400, body: `${padding}${encodeURIComponent(WEBHOOK_KEY)}` }
  )
  const { app, events, logs } = await buildNotifyApp(t, fin, { retry: { baseDelay: 1, maxDelay: 2 } })
  await app.notifyFin('conv_1')
  await until(() => events['notify.failed'].length === 1, 'given up on the 400')
  const reported = [...events['notify.retry'].map((e) => e.error), events['notify.failed'][0]?.reason ?? '']
  t.same(reported, [`HTTP 503: ${padding}[webh`, `rejected by Fin: HTTP 400: ${padding}[webh`], 'cut inside the placeholder, never inside the key')
  const fragment = WEBHOOK_KEY.slice(0, 5)
  t.notOk(logs.some((line) => line.includes(fragment)), 'no log line holds a fragment of the key')
  t.notOk(JSON.stringify(events).includes(fragment), 'no event holds one')
})

/** One sync against a "Fin" that answers 503, sends `text` of a promised 1000-byte body, then drops the connection. */
async function brokenOffAnswer (t: Test, text: string): Promise<Record<string, unknown> | undefined> {
  const { createServer } = await import('node:http')
  const server = createServer((_request, response) => {
    response.writeHead(503, { 'content-length': '1000' })
    response.write(text)
    setTimeout(() => response.destroy(), 20)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  const fin = await FakeFin.start(t)
  const { app, events } = await buildNotifyApp(t, fin, { baseUrl: `http://127.0.0.1:${port}`, retry: { baseDelay: 60_000, maxDelay: 60_000 } })
  await app.notifyFin('conv_1')
  await until(() => events['notify.retry'].length === 1, 'one failed attempt')
  return events['notify.retry'][0] as Record<string, unknown> | undefined
}

t.test('a body that breaks off inside the key leaves no fragment of it', async (t) => {
  const retry = await brokenOffAnswer(t, `bad key ${WEBHOOK_KEY.slice(0, 12)}`)
  t.match(retry, { status: 503 })
  t.equal(retry?.error, 'HTTP 503: bad key ', 'exactly: the first 12 characters of the key dropped')
})

t.test('an answer whose body breaks off midway is judged by its status', async (t) => {
  t.match(await brokenOffAnswer(t, 'overloaded, '), { status: 503, error: 'HTTP 503: overloaded, ' })
})
