import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildHelpdesk, HELPDESK_TIMEOUTS } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-exposure-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** Opens a real socket, sends headers announcing a body, then `feed`s it; resolves with ms until the server closed it. */
async function stalledRequest (port: number, feed: (write: (s: string) => void) => NodeJS.Timeout | undefined): Promise<{ ms: number, answer: string }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  const started = Date.now()
  let answer = ''
  socket.on('data', (chunk: Buffer) => { answer += chunk.toString() })
  socket.on('error', () => {})
  socket.write('POST /api/fin/user HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer fin-token-0123456789abcdef\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":')
  const timer = feed((s) => socket.write(s))
  await new Promise<void>((resolve) => socket.once('close', () => resolve()))
  clearInterval(timer)
  return { ms: Date.now() - started, answer }
}

t.test('a stalled or trickling body is cut off by requestTimeout, checked on Node\'s own interval (real socket)', async (t) => {
  const timeouts = { request: 1000, connection: 5000, checkInterval: 250 }
  const app = await buildHelpdesk(readConfig({ FIN_API_TOKEN: 'fin-token-0123456789abcdef', FIN_DB_PATH: join(dir, 'stall.db') }), false, timeouts)
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port

  const stalled = await stalledRequest(port, () => undefined)
  t.ok(stalled.ms >= 900 && stalled.ms <= timeouts.request + timeouts.checkInterval + 500, `stalled body cut after ${stalled.ms} ms`)
  t.match(stalled.answer, /^HTTP\/1\.1 408/, 'answered 408 Request Timeout')

  // One byte every 200 ms keeps the socket busy (the connection timeout never fires): only requestTimeout ends it.
  const trickle = await stalledRequest(port, (write) => setInterval(() => write(' '), 200))
  t.ok(trickle.ms >= 900 && trickle.ms <= timeouts.request + timeouts.checkInterval + 500, `trickling body cut after ${trickle.ms} ms`)
})

/** The promise's value, or a note that it took longer than `ms` (the test then fails instead of hanging). */
function within<T> (promise: Promise<T>, ms: number): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([promise, new Promise<string>((resolve) => { timer = setTimeout(() => resolve(`still waiting after ${ms} ms`), ms) })]).finally(() => clearTimeout(timer))
}

t.test('an idle keep-alive socket is closed after keepAlive; past maxConnections a socket is closed at once (real sockets)', async (t) => {
  const timeouts = { request: 1000, connection: 5000, checkInterval: 250, keepAlive: 300, maxConnections: 2 }
  const app = await buildHelpdesk(readConfig({ FIN_API_TOKEN: 'fin-token-0123456789', FIN_DB_PATH: join(dir, 'idle.db') }), false, timeouts)
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const open = async () => {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())))
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    return { socket, closed }
  }
  const get = (socket: ReturnType<typeof connect>) => new Promise<number>((resolve) => {
    socket.once('data', () => resolve(Date.now()))
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n')
  })
  const first = await open()
  const second = await open()
  // The third is over the cap: Node closes it without a word, while the first two are served.
  const third = await open()
  const opened = Date.now()
  t.ok(typeof await within(third.closed, 4000) === 'number', 'the socket over maxConnections was closed')
  t.ok(Date.now() - opened < 1000, 'at once')
  const answered = await get(first.socket)
  await get(second.socket)
  // Idle after its answer: closed by keepAliveTimeout (300 ms, plus the second Node adds), long before the
  // connection timeout (5 s).
  const closed = await within(first.closed, 4000)
  const idle = typeof closed === 'number' ? closed - answered : closed
  t.ok(typeof idle === 'number' && idle >= 250 && idle <= 300 + 1000 + 500, `idle keep-alive socket closed after ${String(idle)} ms`)
  second.socket.destroy()
  third.socket.destroy()
})

t.test('the defaults cut a stalled request within 30 s, and reach Node\'s server', async (t) => {
  t.ok(HELPDESK_TIMEOUTS.request + HELPDESK_TIMEOUTS.checkInterval <= 30_000, 'requestTimeout plus the check interval')
  t.ok(HELPDESK_TIMEOUTS.connection <= 30_000, 'a silent socket')
  const app = await buildHelpdesk(readConfig({ FIN_DB_PATH: join(dir, 'defaults.db') }), false)
  t.teardown(() => app.close())
  await app.ready()
  t.equal(app.server.requestTimeout, HELPDESK_TIMEOUTS.request)
  t.equal(app.server.headersTimeout, HELPDESK_TIMEOUTS.request)
  t.equal(app.server.timeout, HELPDESK_TIMEOUTS.connection)
  t.equal(app.server.keepAliveTimeout, HELPDESK_TIMEOUTS.keepAlive)
  t.ok(HELPDESK_TIMEOUTS.keepAlive + 1000 <= 25_000, 'an idle keep-alive socket: closed within 25 s (Node adds a second), as the README says')
  t.equal(app.server.maxConnections, 1_000)
})

t.test('the logs redact tokens, signatures, the webhook key and OAuth secrets', async (t) => {
  const lines: string[] = []
  const config = readConfig({
    FIN_API_TOKEN: 'fin-token-secret', CONSOLE_TOKEN: 'console-token-secret', FIN_DB_PATH: join(dir, 'logs.db'), FIN_OAUTH_CLIENTS: 'fin:oauth-secret-0123456789'
  })
  const app = await buildHelpdesk(config, { level: 'info', stream: { write: (line: string) => { lines.push(line) } } })
  t.teardown(() => app.close())
  // A host that logs request headers (a debugging hook, a custom serializer) must not leak credentials.
  app.addHook('onRequest', (request, _reply, done) => {
    request.log.info({ req: { headers: request.headers }, headers: request.headers }, 'incoming headers')
    done()
  })
  await app.ready()
  await app.inject({ url: '/api/fin/agents', headers: { authorization: 'Bearer fin-token-secret', 'x-fin-signature': 't=1,v1=signature-secret', 'x-webhook-key': 'webhook-key-secret' } })
  await app.inject({ method: 'POST', url: '/api/fin/oauth/token', headers: { authorization: `Basic ${Buffer.from('fin:oauth-secret-0123456789').toString('base64')}` }, payload: { grant_type: 'client_credentials' } })
  app.log.info({ client_secret: 'oauth-secret-0123456789', notify: { webhookKey: 'webhook-key-secret' } }, 'options')
  const logged = lines.join('')
  t.ok(lines.some((line) => line.includes('incoming headers')), 'the headers were logged')
  t.match(logged, /"authorization":"\[redacted\]"/)
  for (const secret of ['fin-token-secret', 'signature-secret', 'webhook-key-secret', 'oauth-secret-0123456789', Buffer.from('fin:oauth-secret-0123456789').toString('base64')]) {
    t.notOk(logged.includes(secret), `${secret} is not in the logs`)
  }
})
