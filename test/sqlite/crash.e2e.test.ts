import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SqliteStorage } from '../../lib/sqlite/index.js'
import { startHelpdesk } from '../fixtures/spawn.js'

t.test('every create answered 201 survives a SIGKILL right after; no object_id twice', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fin-crash-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'helpdesk.db')
  const helpdesk = await startHelpdesk(t, { FIN_DB_PATH: path, FIN_API_TOKEN: 'crash-token-0123456789abcdef', FIN_RATE_LIMIT: '0' })
  const headers = { authorization: 'Bearer crash-token-0123456789abcdef', 'content-type': 'application/json' }
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${helpdesk.base}${route}`, { method: 'POST', headers, body: JSON.stringify(body) })
    return { status: res.status, body: await res.json() as Record<string, any> }
  }
  const user = await post('/user', { name: 'Jane', object_id: 'crash-user' })
  const conversation = await post('/conversation', { user_id: user.body.id, object_id: 'crash-conv', initial_message: { body: '<p>start</p>' } })
  t.equal(conversation.status, 201)
  const conversationId = conversation.body.conversation.id as string

  // 8 writers; every object_id is sent twice (as Fin retries), the second time by another writer.
  const acked = new Map<string, string>()
  let next = 0
  let killed = false
  const writer = async (): Promise<void> => {
    while (!killed) {
      const i = next++
      const objectId = `crash-${Math.floor(i / 2)}`
      try {
        const res = await post('/messages', { conversation_id: conversationId, body: `<p>${objectId}</p>`, author: { id: 'agent_fin', user_type: 'agent' }, object_id: objectId })
        if (res.status === 201) {
          const known = acked.get(objectId)
          if (known !== undefined && known !== res.body.id) t.fail(`${objectId} answered with two ids`)
          acked.set(objectId, res.body.id)
        }
      } catch {
        return // the server is gone
      }
      if (acked.size >= 300 && !killed) {
        killed = true
        helpdesk.child.kill('SIGKILL')
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, writer))
  await helpdesk.exited
  t.equal(helpdesk.child.signalCode, 'SIGKILL')
  t.ok(acked.size >= 300, `${acked.size} creates were answered 201 before the kill`)

  const storage = new SqliteStorage({ path })
  t.teardown(() => storage.close())
  const messages = (await storage.listMessages(conversationId))!
  const ids = new Set(messages.map((m) => m.id))
  const missing = [...acked.values()].filter((id) => !ids.has(id))
  t.same(missing, [], 'every acknowledged message is there')
  t.same(storage.db.prepare('SELECT object_id FROM fin_messages WHERE object_id IS NOT NULL GROUP BY object_id HAVING COUNT(*) > 1').all(), [], 'no object_id twice')
  t.equal(messages.length - 1, new Set(messages.slice(1).map((m) => m.body)).size, 'no message body twice')
  t.ok(await storage.getUser(user.body.id), 'the user survived')
})
