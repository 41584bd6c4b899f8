import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'

t.test('the example app logs one line per request, with what an operator needs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fin-request-log-'))
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    }
  })
  const app = await buildHelpdesk(readConfig({ FIN_API_TOKEN: 'secret-token-0123456789abcdef', FIN_DB_PATH: join(dir, 'helpdesk.db') }), { level: 'info', stream })
  t.teardown(async () => { await app.close(); rmSync(dir, { recursive: true, force: true }) })
  await app.ready()
  lines.length = 0

  const ok = await app.inject({ url: '/api/fin/agents', headers: { authorization: 'Bearer secret-token-0123456789abcdef' } })
  t.equal(ok.statusCode, 200)
  const refused = await app.inject({ url: '/api/fin/agents', headers: { authorization: 'Bearer wrong' } })
  t.equal(refused.statusCode, 401)

  const perRequest = (id: string): Array<Record<string, unknown>> => lines.filter((line) => line.reqId === id)
  const [first, second] = [...new Set(lines.map((line) => line.reqId as string))]
  t.equal(perRequest(first!).length, 1, 'one line for a served request')
  t.match(perRequest(first!)[0], { level: 30, msg: 'request', method: 'GET', url: '/api/fin/agents', statusCode: 200, responseTime: Number, ip: '127.0.0.1' })
  t.notOk(lines.some((line) => line.msg === 'incoming request' || line.msg === 'request completed'), 'not Fastify\'s two lines')
  t.match(perRequest(second!).at(-1), { msg: 'request', statusCode: 401 }, 'a refused request has its line too')
  t.notOk(JSON.stringify(lines).includes('secret-token-0123456789abcdef'), 'no token in the log')
})
