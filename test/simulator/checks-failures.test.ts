import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { exitCode, runConformance } from '../../lib/simulator/index.js'

// The checks against helpdesks that answer nothing useful: every check still reports (none throws), the first
// checks name what is wrong, and the ones depending on them say they were not run.

type Mode = 'empty object' | 'a list' | '500' | 'echo'

async function junk (t: Test, mode: Mode): Promise<string> {
  const server = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk: Buffer) => { text += chunk.toString() })
    req.on('end', () => {
      const json = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body)
      if (mode === '500') return res.writeHead(500).end('x')
      if (mode === 'a list') return json(200, '[{"id":1}]')
      if (mode === 'echo') {
        let body: unknown
        try { body = JSON.parse(text) } catch { body = {} }
        return json(201, JSON.stringify({ id: 'x', ...(body as object) }))
      }
      json(200, '{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const cases: Array<[Mode, Record<string, string>]> = [
  ['empty object', { 'agents.list': 'the list is an object; Fin needs a list', 'user.create': 'id is missing; Fin needs a string; user_type is missing; Fin needs "end_user"' }],
  ['a list', { 'agents.list': 'id is the number 1; Fin needs a string', 'user.create': 'the user is a list; Fin needs an object' }],
  ['500', { 'agents.list': 'HTTP 500: x', 'user.create': 'HTTP 500: x' }],
  ['echo', { 'agents.list': 'HTTP 201: {"id":"x"}', 'user.create': 'user_type is missing; Fin needs "end_user"' }]
]

for (const [mode, standard] of cases) {
  t.test(`a helpdesk answering ${mode === 'echo' ? 'what it was sent' : mode}: the checks fail, none throws`, async (t) => {
    const url = await junk(t, mode)
    for (const variant of ['standard', 'posts-only'] as const) {
      const report = await runConformance({ baseUrl: url, token: 't', variant, signingSecret: 'secret-0123456789abcdef' })
      t.equal(exitCode(report), 1, variant)
      t.ok(report.failed >= 10, `${variant}: ${report.failed} failed`)
      // What needs a user or a conversation is not checked (never ok): nothing was there to look at.
      t.ok(report.notChecked >= 20, `${variant}: ${report.notChecked} not checked`)
      t.notOk(report.checks.some((c) => c.status === 'ok' && /\.reference$|^envelope\.|^messages\.|^sanitize\./.test(c.id)), `${variant}: nothing ok about data never received`)
      t.equal(report.checks.length, report.passed + report.failed + report.warnings + report.notChecked, `${variant}: every check is counted`)
      const byId = new Map(report.checks.map((check) => [check.id, check]))
      t.match(byId.get('agents.list'), { ok: false, severity: 'error' }, `${variant}: agents.list`)
      t.match(byId.get('conversation.create'), { ok: false, status: 'not checked', actual: 'needs a user (create_user), which an earlier check could not create' }, `${variant}: conversation.create`)
      t.match(byId.get('messages.order'), { ok: false, status: 'not checked', actual: 'needs a conversation, which an earlier check could not create' }, `${variant}: messages.order`)
      if (variant === 'standard') for (const [id, actual] of Object.entries(standard)) t.equal(byId.get(id)?.actual, actual, `${variant}: ${id}`)
    }
  })
}
