import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { signFinRequest } from '../../lib/index.js'
import { SqliteStorage } from '../../lib/sqlite/index.js'
import { startHelpdesk } from '../fixtures/spawn.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'fin-example-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** The README's curl walkthrough, between its markers, exactly as written. */
function walkthrough (): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = /<!-- walkthrough:start -->([\s\S]*?)<!-- walkthrough:end -->/.exec(readme)
  if (section === null) throw new Error('README has no walkthrough section')
  return [...section[1]!.matchAll(/```sh\n([\s\S]*?)```/g)].map((block) => block[1]).join('\n')
}

t.test('started as a child process: healthz, tokens from env, the README walkthrough, seeding once', async (t) => {
  const path = join(dir, 'walkthrough', 'helpdesk.db')
  const helpdesk = await startHelpdesk(t, { FIN_DB_PATH: path, FIN_API_TOKEN: 'token-one,token-two' })
  t.match(helpdesk.output(), /curl -s -H "Authorization: Bearer \$\{FIN_API_TOKEN%%,\*\}" http:\/\/127\.0\.0\.1:\d+\/api\/fin\/agents/)
  t.same(await (await fetch(`${helpdesk.origin}/healthz`)).json(), { status: 'ok', storage: 'ok', outbox: null })

  for (const token of ['token-one', 'token-two']) {
    const res = await fetch(`${helpdesk.base}/agents`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.status, 200, token)
    t.same((await res.json() as Array<{ id: string }>).map((a) => a.id), ['agent_fin', 'agent_sarah', 'agent_omar'])
  }
  t.equal((await fetch(`${helpdesk.base}/agents`, { headers: { authorization: 'Bearer nope' } })).status, 401)

  const printed = /curl [^\n]+/.exec(helpdesk.output())![0]
  const { stdout: agents } = await run('sh', ['-c', printed], { env: { ...process.env, FIN_API_TOKEN: 'token-one,token-two' } })
  t.equal(JSON.parse(agents).length, 3, 'the printed curl command works as printed')

  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', walkthrough()], { env: { ...process.env, BASE: helpdesk.base, TOKEN: 'token-one' } })
  const lines = stdout.trim().split('\n')
  const last = JSON.parse(lines[lines.length - 1]!)
  t.match(last, [{ message_type: 'comment', author: { id: 'agent_fin', user_type: 'agent' }, body: '<p>Our Pro plan is $20 a month.</p>' }], 'the last step lists only the message after the first')

  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0, 'a graceful exit')
  t.notOk(existsSync(`${path}-wal`), 'the database was closed cleanly (WAL checkpointed and removed)')

  const storage = new SqliteStorage({ path })
  await storage.upsertAgent({ id: 'agent_new', name: 'New', email: 'new@example.com' })
  storage.db.prepare("DELETE FROM fin_agents WHERE id = 'agent_omar'").run()
  await storage.close()
  const again = await startHelpdesk(t, { FIN_DB_PATH: path, FIN_API_TOKEN: 'token-one' })
  const res = await fetch(`${again.base}/agents`, { headers: { authorization: 'Bearer token-one' } })
  t.same((await res.json() as Array<{ id: string }>).map((a) => a.id), ['agent_fin', 'agent_sarah', 'agent_new'], 'no reseeding on a second start')
  again.child.kill('SIGTERM')
  t.equal(await again.exited, 0)
})

t.test('SIGTERM lets in-flight requests finish: nothing processed goes unanswered', async (t) => {
  const path = join(dir, 'shutdown', 'helpdesk.db')
  const helpdesk = await startHelpdesk(t, { FIN_DB_PATH: path, FIN_API_TOKEN: 'tok', FIN_RATE_LIMIT: '0' })
  const headers = { authorization: 'Bearer tok', 'content-type': 'application/json' }
  const user = await (await fetch(`${helpdesk.base}/user`, { method: 'POST', headers, body: '{"name":"Jane"}' })).json() as { id: string }
  const created = await (await fetch(`${helpdesk.base}/conversation`, {
    method: 'POST', headers, body: JSON.stringify({ user_id: user.id, initial_message: { body: 'hi' } })
  })).json() as { conversation: { id: string } }
  const outcomes: string[] = []
  const acked: string[] = []
  let first!: () => void
  const firstAnswer = new Promise<void>((resolve) => { first = resolve })
  const requests = Array.from({ length: 40 }, (_, i) => fetch(`${helpdesk.base}/messages`, {
    method: 'POST', headers, body: JSON.stringify({ conversation_id: created.conversation.id, body: `<p>${i}</p>`, author: { id: 'agent_sarah', user_type: 'agent' } })
  }).then(async (res) => {
    outcomes.push(String(res.status))
    if (res.status === 201) acked.push((await res.json() as { id: string }).id)
    first()
  }, (err: Error & { cause?: { code?: string } }) => { outcomes.push(err.cause?.code ?? err.message) }))
  await firstAnswer
  helpdesk.child.kill('SIGTERM')
  await Promise.all(requests)
  t.equal(await helpdesk.exited, 0)
  // A request that reaches a closing server is answered (201, or 503 once closing); one written onto a keep-alive
  // socket the server is closing is refused or reset before the server reads it, and a client retries it.
  t.same(outcomes.filter((o) => !['201', '503', 'ECONNREFUSED', 'ECONNRESET'].includes(o)), [], `outcomes: ${[...new Set(outcomes)]}`)
  t.ok(acked.length > 0)
  const storage = new SqliteStorage({ path })
  t.teardown(() => storage.close())
  const stored = (await storage.listMessages(created.conversation.id))!.slice(1).map((m) => m.id)
  t.same(stored.sort(), acked.sort(), `the ${acked.length} acknowledged messages are stored, and nothing that went unanswered`)
})

t.test('from env: the OAuth token endpoint at /api/fin/oauth/token, and signatures required', async (t) => {
  const helpdesk = await startHelpdesk(t, {
    FIN_DB_PATH: join(dir, 'oauth', 'helpdesk.db'), FIN_OAUTH_CLIENTS: 'fin:fin-client-secret-0123', FIN_OAUTH_TOKEN_TTL: '120', FIN_SIGNING_SECRET: 'sig-old,sig-new'
  })
  t.match(helpdesk.output(), /OAuth: +http:\/\/127\.0\.0\.1:\d+\/api\/fin\/oauth\/token for fin/)
  const token = await fetch(`${helpdesk.base}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('fin:fin-client-secret-0123').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials'
  })
  t.equal(token.status, 200, 'the token endpoint needs no signature')
  const { access_token: accessToken, expires_in: expiresIn } = await token.json() as { access_token: string, expires_in: number }
  t.equal(expiresIn, 120)
  const unsigned = await fetch(`${helpdesk.base}/agents`, { headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(unsigned.status, 401, 'unsigned requests are refused')
  const signed = await fetch(`${helpdesk.base}/agents`, { headers: { authorization: `Bearer ${accessToken}`, ...signFinRequest({ secret: 'sig-new' }) } })
  t.equal(signed.status, 200, 'a signed request with an OAuth token passes')
  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0)
})
