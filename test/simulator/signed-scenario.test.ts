import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { FinSimulator, FinWebhookReceiver } from '../../lib/simulator/index.js'
import { until } from '../fixtures/clock.js'
import { VARIANTS } from '../fixtures/client.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-signed-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const SIGNING_SECRET = 'signing-secret-0123456789abcdef'
const OAUTH = { clientId: 'fin', clientSecret: 'fin-client-secret-0123456789' }
const CONSOLE_TOKEN = 'console-token-0123456789'
const WEBHOOK = { integrationId: 'int_signed', webhookKey: 'hook-key-0123456789' }

interface LogLine { msg?: string, method?: string, url?: string, statusCode?: number }

// The simulator signs as Fin does (one second for a sync's reads, nothing but timestamp and payload signed), and the
// example helpdesk, with signatures and OAuth on, refuses none of it.
for (const variant of VARIANTS) {
  t.test(`${variant}: Fin's standard scenario against the example helpdesk with signing and OAuth on`, async (t) => {
    // Fin's webhook server first (the helpdesk needs its URL), then the helpdesk, then Fin's client of it.
    const fin: { sim?: FinSimulator } = {}
    const refused: string[] = []
    const syncs: Array<Promise<void>> = []
    const receiver = new FinWebhookReceiver({
      ...WEBHOOK,
      onRefused: (problem) => { refused.push(problem) },
      onEvent: (event) => {
        const sim = fin.sim
        if (event.event_type === null && sim?.conversations().includes(event.conversation_id) === true) syncs.push(sim.sync(event.conversation_id))
      }
    })
    await receiver.listen()
    t.teardown(() => receiver.close())
    const lines: LogLine[] = []
    const config = readConfig({
      FIN_API_TOKEN: 'static-token-0123456789',
      CONSOLE_TOKEN,
      FIN_RATE_LIMIT: '0',
      FIN_DB_PATH: join(dir, `${variant}.db`),
      FIN_INTEGRATION_ID: WEBHOOK.integrationId,
      FIN_WEBHOOK_KEY: WEBHOOK.webhookKey,
      FIN_BASE_URL: receiver.url,
      FIN_SIGNING_SECRET: SIGNING_SECRET,
      FIN_OAUTH_CLIENTS: `${OAUTH.clientId}:${OAUTH.clientSecret}`
    })
    const app = await buildHelpdesk(config, { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } } })
    t.teardown(() => app.close())
    // What reaches the server, beside Fastify's own listener: each Fin request's path and signature.
    const arrived: Array<{ url: string, signature: string | undefined }> = []
    app.server.on('request', (request: { url?: string, headers: Record<string, string | string[] | undefined> }) => {
      arrived.push({ url: request.url ?? '', signature: request.headers['x-fin-signature'] as string | undefined })
    })
    const origin = await app.listen({ host: '127.0.0.1', port: 0 })
    const base = `${origin}/api/fin`
    const sim = fin.sim = new FinSimulator({ baseUrl: base, oauth: { tokenUrl: `${base}/oauth/token`, ...OAUTH }, signingSecret: SIGNING_SECRET, variant })
    const consoleReply = async (conversationId: string, body: string) => {
      const res = await fetch(`${origin}/console/conversations/${conversationId}/messages`, {
        method: 'POST', headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ author_id: 'agent_sarah', body })
      })
      if (res.status !== 201) throw new Error(`console answered ${res.status}`)
    }

    const conversations: string[] = []
    for (let n = 0; n < 3; n++) {
      const { conversationId } = await sim.startConversation({ name: `User ${n}`, body: `<p>Question ${n}</p>` })
      conversations.push(conversationId)
      await sim.finSays(conversationId, `<p>Fin answer ${n}</p>`)
      // Fin's first sync: get_conversation and get_messages with the same parameters, in one second.
      await sim.sync(conversationId)
      await sim.userSays(conversationId, `<p>User says ${n}</p>`)
      await consoleReply(conversationId, `<p>Agent answer ${n}</p>`)
      if (n === 2) await sim.handover(conversationId)
    }
    await until(async () => { const s = await app.notifyFin.stats(); return s.pending === 0 && s.in_flight === 0 }, 'the notify outbox to drain')
    await sim.idle()
    await Promise.all(syncs)
    t.ok(syncs.length >= 3, `${syncs.length} syncs triggered by the helpdesk's webhooks`)
    t.same(refused, [], 'every webhook was well-formed')
    for (const id of conversations) {
      t.same(await sim.compare(id), [], `${id}: Fin's transcript equals the helpdesk's`)
      t.equal(sim.transcript(id).length, 4)
    }
    t.ok(sim.client.tokensFetched >= 1, 'Fin authenticated with OAuth')

    const api = lines.filter((line) => line.msg === 'request' && line.url?.startsWith('/api/fin/') === true && !line.url.startsWith('/api/fin/oauth/'))
    t.ok(api.length >= 30, `${api.length} Fin API requests`)
    t.same(api.filter((line) => line.statusCode! >= 400).map((line) => `${line.method} ${line.url} ${line.statusCode}`), [], 'none refused')
    // Each first sync: get_conversation and get_messages under one signature (syncs of several conversations may
    // interleave: pairs are matched by signature, not by position), and none of it refused (above).
    const [readConversation, readMessages] = variant === 'standard' ? ['/api/fin/conversation?', '/api/fin/messages?'] : ['/api/fin/get_conversation', '/api/fin/get_messages']
    const messageReads = new Set(arrived.filter((request) => request.url.startsWith(readMessages)).map((request) => request.signature))
    const shared = arrived.filter((request) => request.url.startsWith(readConversation) && messageReads.has(request.signature))
    t.ok(shared.length >= conversations.length, `${shared.length} syncs whose two reads carried one signature`)
    t.ok(shared.every((request) => /^[0-9a-f]{64}$/.test(request.signature ?? '')), 'signed')
    if (variant === 'standard') {
      for (const id of conversations) {
        const conversation = arrived.find((request) => request.url === `/api/fin/conversation?conversation_id=${id}`)
        const messages = arrived.find((request) => request.url === `/api/fin/messages?conversation_id=${id}` && request.signature === conversation?.signature)
        t.ok(messages !== undefined, `${id}: the first sync asked the same query twice, under one signature`)
      }
    }
  })
}
