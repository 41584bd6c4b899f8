import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { refusingOrigin } from '../fixtures/refusing-server.js'
import { startHelpdesk } from '../fixtures/spawn.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-console-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const FIN = { authorization: 'Bearer fin-token-0123456789abcdef' }
const CONSOLE = { authorization: 'Bearer console-token-0123456789abcdef' }

t.test('a sync accepted while Fin is down survives a SIGKILL and is delivered after restart', async (t) => {
  const path = join(dir, 'crash.db')
  const env = { FIN_DB_PATH: path, FIN_API_TOKEN: 'fin-token-0123456789abcdef', CONSOLE_TOKEN: 'console-token-0123456789abcdef', FIN_INTEGRATION_ID: 'int_1', FIN_WEBHOOK_KEY: 'k' }
  const first = await startHelpdesk(t, { ...env, FIN_BASE_URL: await refusingOrigin(t) })
  const post = async (base: string, url: string, headers: object, body: unknown) => (await fetch(`${base}${url}`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body)
  }))
  const user = await (await post(first.base, '/user', FIN, { name: 'Jane' })).json() as { id: string }
  const created = await (await post(first.base, '/conversation', FIN, { user_id: user.id, initial_message: { body: 'hi' } })).json() as { conversation: { id: string } }
  const reply = await post(first.origin, `/console/conversations/${created.conversation.id}/messages`, CONSOLE, { author_id: 'agent_sarah', body: 'On it.' })
  t.equal(reply.status, 201, 'accepted while Fin is unreachable')
  first.child.kill('SIGKILL')
  await first.exited

  const fin = await FakeFin.start(t)
  const second = await startHelpdesk(t, { ...env, FIN_BASE_URL: fin.url })
  const [event] = await fin.waitFor(1)
  t.same(event!.body, { conversation_id: created.conversation.id }, 'delivered by the restarted process')
  t.equal(event!.path, '/custom_helpdesk_conversation_event/int_1')
  await until(() => fin.received.length >= 1, 'delivery')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})
