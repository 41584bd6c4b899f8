import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { startHelpdesk } from '../fixtures/spawn.js'

// Crash proof of the one write path (issue #22): agents' replies stream through the console; the helpdesk is
// SIGKILLed mid-stream. After a restart, every reply that got a 2xx is stored and its conversation's sync is
// delivered to Fin, and no stored reply is without one. Fin holds every webhook call of the first run unanswered,
// so nothing counts as delivered before the kill: every sync must come from the outbox, after the restart.

const dir = mkdtempSync(join(tmpdir(), 'fin-crash-replies-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const FIN = { authorization: 'Bearer fin-token-0123456789' }
const CONSOLE = { authorization: 'Bearer console-token-0123456789' }
const CONVERSATIONS = 6
const AGENTS = ['agent_sarah', 'agent_omar']

interface Reply { conversation: string, key: string, status: number, id?: string }

t.test('SIGKILL while replies stream: every acknowledged reply is stored and synced, no stored reply without a sync', async (t) => {
  const fin = await FakeFin.start(t)
  fin.hold()
  const env = {
    FIN_DB_PATH: join(dir, 'helpdesk.db'),
    FIN_API_TOKEN: FIN.authorization.slice(7),
    CONSOLE_TOKEN: CONSOLE.authorization.slice(7),
    FIN_INTEGRATION_ID: 'int_crash',
    FIN_WEBHOOK_KEY: 'hook-key-0123456789',
    FIN_BASE_URL: fin.url
  }
  const first = await startHelpdesk(t, env)
  const json = async (base: string, url: string, headers: object, body?: unknown): Promise<{ status: number, body: any }> => {
    const res = await fetch(`${base}${url}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    return { status: res.status, body: await res.json().catch(() => null) }
  }

  const conversations: string[] = []
  for (let i = 0; i < CONVERSATIONS; i++) {
    const user = await json(first.base, '/user', FIN, { name: `User ${i}` })
    const created = await json(first.base, '/conversation', FIN, { user_id: user.body.id, initial_message: { body: `<p>Help ${i}</p>` } })
    conversations.push(created.body.conversation.id)
  }

  // Agents reply on every conversation, several requests in flight at once, until the process dies under them.
  const replies: Reply[] = []
  const state = { killed: false }
  let sent = 0
  const agent = async (lane: number): Promise<void> => {
    while (!state.killed) {
      const n = sent++
      const conversation = conversations[n % CONVERSATIONS]!
      const key = `reply-${n}`
      const reply: Reply = { conversation, key, status: 0 }
      replies.push(reply)
      try {
        const res = await fetch(`${first.origin}/console/conversations/${conversation}/messages`, {
          method: 'POST',
          headers: { ...CONSOLE, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ author_id: AGENTS[lane % AGENTS.length], body: `<p>Reply ${n}</p>` })
        })
        reply.status = res.status
        if (res.ok) reply.id = ((await res.json()) as { id: string }).id
      } catch {
        reply.status = -1 // the connection died with the process: not acknowledged
      }
    }
  }
  const lanes = Array.from({ length: 8 }, (_, lane) => agent(lane))
  await until(() => replies.filter((r) => r.status === 201).length >= 40, '40 acknowledged replies')
  first.child.kill('SIGKILL')
  state.killed = true
  await first.exited
  await Promise.all(lanes)
  const acknowledged = replies.filter((r) => r.status >= 200 && r.status < 300)
  t.ok(acknowledged.length >= 40, `${acknowledged.length} replies acknowledged before the kill`)
  t.same(replies.filter((r) => r.status > 0 && r.status !== 201).map((r) => r.status), [], 'every answered reply was a 201')
  const beforeRestart = fin.received.length

  // Fin answers again; the helpdesk restarts on the same database.
  fin.release()
  const second = await startHelpdesk(t, env)
  const stored = new Map<string, string[]>()
  for (const conversation of conversations) {
    const messages = await json(second.origin, `/console/conversations/${conversation}/messages`, CONSOLE)
    stored.set(conversation, (messages.body as Array<{ id: string, author: { user_type: string } }>).filter((m) => m.author.user_type === 'agent').map((m) => m.id))
  }
  const lost = acknowledged.filter((r) => !stored.get(r.conversation)!.includes(r.id!))
  t.same(lost, [], 'every acknowledged reply is stored')

  // Every conversation holding a stored reply gets a sync from the restarted process.
  const withReplies = conversations.filter((c) => stored.get(c)!.length > 0)
  t.ok(withReplies.length === CONVERSATIONS, 'replies landed on every conversation')
  await until(() => withReplies.every((c) => fin.received.slice(beforeRestart).some((r) => r.body?.conversation_id === c)), 'a sync per conversation after the restart')
  const unsynced = withReplies.filter((c) => !fin.received.slice(beforeRestart).some((r) => r.body?.conversation_id === c && r.path === '/custom_helpdesk_conversation_event/int_crash'))
  t.same(unsynced, [], '0 acknowledged changes without a delivered sync')
  t.same(fin.received.slice(beforeRestart).filter((r) => r.headers['x-webhook-key'] !== 'hook-key-0123456789').length, 0)

  // And the outbox of the restarted process drains to nothing: every delivery was accepted.
  await until(async () => {
    const health = await json(second.origin, '/healthz', {})
    return health.body?.outbox?.pending === 0 && health.body?.outbox?.in_flight === 0
  }, 'the outbox drained')
  t.comment(`${acknowledged.length} acknowledged, ${replies.filter((r) => r.status === -1).length} cut off by the kill, ${[...stored.values()].flat().length} stored`)
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})
