import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { FinSimulator } from '../../lib/simulator/index.js'
import { until } from '../fixtures/clock.js'
import { VARIANTS } from '../fixtures/client.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-drive-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

for (const variant of VARIANTS) {
  t.test(`${variant}: 100 conversations of 20 messages, agents replying through the console: transcripts equal`, async (t) => {
    // Fin's webhook server first: the helpdesk needs its URL; then the helpdesk, whose URL Fin needs.
    const sim = new FinSimulator({ baseUrl: 'http://127.0.0.1:1/not-yet', token: 'fin-token-0123456789abcdef', variant, webhook: { integrationId: 'int_sim', webhookKey: 'hook-key' } })
    await sim.start()
    const config = readConfig({
      FIN_API_TOKEN: 'fin-token-0123456789abcdef',
      CONSOLE_TOKEN: 'console-token-0123456789abcdef',
      FIN_RATE_LIMIT: '0',
      FIN_DB_PATH: join(dir, `${variant}.db`),
      FIN_INTEGRATION_ID: 'int_sim',
      FIN_WEBHOOK_KEY: 'hook-key',
      FIN_BASE_URL: sim.webhookBaseUrl
    })
    const app = await buildHelpdesk(config, false)
    t.teardown(async () => { await app.close(); await sim.close() })
    const origin = await app.listen({ host: '127.0.0.1', port: 0 })
    sim.client.baseUrl = `${origin}/api/fin`
    const consoleReply = async (conversationId: string, body: string) => {
      const res = await fetch(`${origin}/console/conversations/${conversationId}/messages`, {
        method: 'POST', headers: { authorization: 'Bearer console-token-0123456789abcdef', 'content-type': 'application/json' }, body: JSON.stringify({ author_id: 'agent_sarah', body })
      })
      if (res.status !== 201) throw new Error(`console answered ${res.status}`)
    }

    const conversations: string[] = []
    const drive = async (n: number): Promise<void> => {
      const { conversationId } = await sim.startConversation({ name: `User ${n}`, email: `user${n}@example.com`, body: `<p>Question ${n}</p>`, title: `Conversation ${n}` })
      conversations.push(conversationId)
      for (let i = 1; i < 20; i++) {
        if (i % 3 === 0) await consoleReply(conversationId, `<p>Agent answer ${n}.${i}</p>`)
        else if (i % 3 === 1) await sim.finSays(conversationId, `<p>Fin answer ${n}.${i}</p>`)
        else await sim.userSays(conversationId, `<p>User says ${n}.${i}</p>`)
      }
      if (n % 10 === 0) await sim.handover(conversationId)
    }
    for (let batch = 0; batch < 10; batch++) await Promise.all(Array.from({ length: 10 }, (_, i) => drive(batch * 10 + i)))

    // Let every change reach Fin: the helpdesk's outbox drains, and the syncs it triggers finish.
    await until(async () => { const s = await app.notifyFin.stats(); return s.pending === 0 && s.in_flight === 0 }, 'the notify outbox to drain')
    await sim.idle()
    t.equal(conversations.length, 100)
    t.same(sim.errors, [], 'every webhook was well-formed (path, key, body)')
    let messages = 0
    let fromAgents = 0
    for (const id of conversations) {
      const diff = await sim.compare(id)
      if (diff.length > 0) t.fail(`${id}: ${JSON.stringify(diff).slice(0, 300)}`)
      const transcript = sim.transcript(id)
      messages += transcript.length
      fromAgents += transcript.filter((m) => m.author_id === 'agent_sarah').length
    }
    t.equal(messages, 2000, 'Fin has all 2,000 messages')
    t.equal(fromAgents, 600, 'including the 600 agent replies, which reached Fin only through sync webhooks')
    t.ok(sim.webhookEvents.length >= 100 && sim.webhookEvents.length <= 600, `${sim.webhookEvents.length} sync webhooks for 600 replies (coalesced)`)
  })
}

t.test('the simulator reports differences: missing, duplicated, reordered, changed', async (t) => {
  const { differences } = await import('../../lib/simulator/simulator.js')
  const m = (id: string, body = `b${id}`) => ({ id, body, author_id: 'a', author_type: 'agent', visibility: 'public' })
  t.same(differences([m('1'), m('2')], [m('1'), m('2')]), [])
  t.match(differences([m('1')], [m('1'), m('2')]), [{ kind: 'missing in Fin', message_id: '2' }])
  t.match(differences([m('1'), m('3')], [m('1')]), [{ kind: 'missing in helpdesk', message_id: '3' }])
  t.match(differences([m('1'), m('2')], [m('1'), m('2'), m('2')]), [{ kind: 'duplicated', message_id: '2' }])
  t.match(differences([m('2'), m('1')], [m('1'), m('2')]), [{ kind: 'reordered', message_id: '2' }, { kind: 'reordered', message_id: '1' }])
  t.match(differences([m('1', 'old')], [m('1', 'new')]), [{ kind: 'changed', message_id: '1', detail: /body/ }])
})
