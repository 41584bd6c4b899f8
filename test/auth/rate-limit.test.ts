import Fastify from 'fastify'
import t from 'tap'
import finHelpdesk from '../../lib/index.js'

const AUTH = { authorization: 'Bearer fin-token-0123456789abcdef' }

function capture () {
  const lines: Array<{ level: number, msg: string } & Record<string, unknown>> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  return { app, lines }
}

t.test('the default limit carries 100 requests a second from one integration for a whole minute', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: ['fin-token-0123456789abcdef'] })
  // 6000 requests inside one window: a minute of Fin at 100 requests a second. None may be throttled.
  const counts = new Map<number, number>()
  for (let batch = 0; batch < 60; batch++) {
    const statuses = await Promise.all(Array.from({ length: 100 }, () => app.inject({ url: '/agents', headers: AUTH })))
    for (const { statusCode } of statuses) counts.set(statusCode, (counts.get(statusCode) ?? 0) + 1)
  }
  t.same(Object.fromEntries(counts), { 200: 6000 })
})

t.test('every 429 is logged at warn, naming the limit but never the token', async (t) => {
  const { app, lines } = capture()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: ['fin-token-0123456789abcdef'], rateLimit: { max: 1 }, authFailureLimit: { max: 1, timeWindow: 60_000 } })
  t.equal((await app.inject({ url: '/agents', headers: AUTH })).statusCode, 200)
  t.equal((await app.inject({ url: '/agents', headers: AUTH })).statusCode, 429)
  t.equal((await app.inject({ url: '/agents', headers: { authorization: 'Bearer wrong-secret-guess' } })).statusCode, 401)
  t.equal((await app.inject({ url: '/agents', headers: { authorization: 'Bearer wrong-secret-guess-2' } })).statusCode, 429)
  const limited = lines.filter((line) => /\(429\)/.test(line.msg))
  t.equal(limited.length, 2)
  t.match(limited[0], { level: 40, limit: 'client', client: /^token:[\w-]{22}$/, operation: 'getAgents', max: 1, retryAfter: Number })
  t.match(limited[1], { level: 40, limit: 'auth-failure', ip: '127.0.0.1', retryAfter: Number })
  const all = lines.map((line) => JSON.stringify(line)).join('\n')
  t.notMatch(all, /fin-token|wrong-secret-guess/, 'no token in any log line')
})
