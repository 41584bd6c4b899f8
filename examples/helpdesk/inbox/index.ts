import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { applyFinConventions, errorCodes, schemas, type FinStorage } from '../../../lib/index.js'
import { consoleAuth } from '../console-auth.js'
import { handoverMarks, type HandoverMarks } from './handovers.js'
import { InboxHub, type SyncStatus } from './hub.js'
import { conversationSummary, threadMessage } from './views.js'

const { FIN_ERR_CONVERSATION_NOT_FOUND: FinConversationNotFoundError } = errorCodes

export interface InboxOptions {
  storage: FinStorage
  /** The console token: the inbox signs in with it and sends it as a bearer header, never in a URL. */
  token: string
  /** The agent Fin writes as: its messages are marked as Fin's, and it is not offered at sign-in. */
  finAgentId: string
  /** Where "Needs a human" is kept. @default a table beside the storage's (SQLite or PostgreSQL), else memory */
  marks?: HandoverMarks
  /** An ioredis client: the console's rate limits are then shared with the console and across instances. */
  redis?: object
  /** How often idle event streams get a keep-alive comment (ms). @default 15000 */
  heartbeat?: number
}

/** The page, its script and styles, and the favicon: all served from here (no CDN: it works offline). */
export const PUBLIC_DIR = publicDir()

const Params = Type.Object({ id: schemas.Id })

/**
 * The agent inbox at GET /inbox: a page over the console API (/console/*) and the read endpoints below
 * (/inbox/api/*, same console token), kept live by server-sent events from the plugin's events.
 */
async function inbox (app: FastifyInstance, options: InboxOptions): Promise<void> {
  const { storage, finAgentId } = options
  const hub = new InboxHub()
  const fin = app.fin.get()
  const notifier = fin.notifier
  const marks = options.marks ?? await handoverMarks(storage)

  fin.events.on('conversation.created', ({ conversation }) => hub.publish({ kind: 'conversation', conversation_id: conversation.id }))
  fin.events.on('conversation.updated', async ({ conversation }) => {
    // Someone was assigned (a human, or Fin naming an agent): any handover is answered.
    if (conversation.assignee !== undefined) await marks.delete(conversation.id)
    hub.publish({ kind: 'conversation', conversation_id: conversation.id })
  })
  fin.events.on('conversation.handover', async ({ conversation }) => {
    await marks.add(conversation.id)
    hub.publish({ kind: 'handover', conversation_id: conversation.id })
  })
  fin.events.on('message.created', ({ message }) => hub.publish({ kind: 'message', conversation_id: message.conversation_id }))
  // Typing events are not changes: only syncs move the status.
  fin.events.on('notify.sent', (e) => { if (e.kind === 'sync') hub.setSync(e.conversation_id, 'delivered') })
  fin.events.on('notify.retry', (e) => { if (e.kind === 'sync') hub.setSync(e.conversation_id, 'retrying', `${e.error}; next attempt in ${Math.round(e.delay_ms / 1000)} s`) })
  fin.events.on('notify.failed', (e) => { if (e.kind === 'sync') hub.setSync(e.conversation_id, 'failed', e.reason) })

  // The console writes to storage directly (no plugin events): follow its successful writes by route.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? ''
    if (reply.statusCode >= 300 || !route.startsWith('/console/conversations/:id') || route.endsWith('/typing')) return
    if (request.method !== 'POST' && request.method !== 'PATCH') return
    const id = (request.params as { id: string }).id
    const assignee = (request.body as { assignee_id?: unknown } | undefined)?.assignee_id
    if (typeof assignee === 'string') await marks.delete(id)
    hub.publish({ kind: request.method === 'POST' ? 'message' : 'conversation', conversation_id: id })
    if (notifier !== undefined) hub.setSync(id, 'pending')
  })

  const heartbeat = setInterval(() => hub.heartbeat(), options.heartbeat ?? 15_000)
  heartbeat.unref()
  // Before the server stops accepting: open streams would otherwise hold close() until they time out.
  app.addHook('preClose', async () => {
    clearInterval(heartbeat)
    hub.close()
  })

  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/inbox/assets/', index: false, maxAge: 0 })
  app.get('/inbox', (request, reply) => {
    // Only our own files: a sanitized message body still cannot run script or load from elsewhere.
    return reply.header('content-security-policy', "default-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
      .header('referrer-policy', 'no-referrer')
      .sendFile('index.html')
  })
  app.get('/favicon.ico', (request, reply) => reply.sendFile('favicon.svg'))

  // Before sign-in: who can sign in, by name (ids and names only; no emails).
  app.get('/inbox/agents', async () => (await storage.listAgents())
    .filter((agent) => agent.id !== finAgentId)
    .map((agent) => ({ id: agent.id, name: agent.name })))

  await app.register(async (api) => {
    applyFinConventions(api)
    // The console's own guard: wrong tokens limited per IP, valid ones per minute (shared through Redis if set).
    await consoleAuth(api, { token: options.token, redis: options.redis })
    const routes = api.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/inbox/api/conversations', async () => {
      const [conversations, handedOver] = await Promise.all([storage.listConversations({ limit: 100 }), marks.list()])
      return Promise.all(conversations.map(async (conversation) => {
        const messages = await storage.listMessages(conversation.id) ?? []
        return conversationSummary(conversation, messages.at(-1), handedOver.has(conversation.id))
      }))
    })

    routes.get('/inbox/api/conversations/:id', { schema: { params: Params } }, async (request) => {
      const conversation = await storage.getConversation(request.params.id)
      const messages = await storage.listMessages(request.params.id)
      if (conversation === null || messages === null) throw new FinConversationNotFoundError(request.params.id)
      return {
        conversation: conversationSummary(conversation, messages.at(-1), (await marks.list()).has(conversation.id)),
        messages: messages.map((message) => threadMessage(message, finAgentId)),
        sync: await syncStatus(request.params.id)
      }
    })

    // A stream read with fetch(), so the token travels in the Authorization header (EventSource cannot send one).
    routes.get('/inbox/api/events', (request, reply) => {
      reply.hijack()
      hub.attach(reply.raw)
    })
  })

  async function syncStatus (conversationId: string): Promise<SyncStatus> {
    if (notifier === undefined) return { state: 'off', reason: 'FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY are not set', at: null }
    const known = hub.getSync(conversationId)
    if (known !== undefined) return known
    // Nothing seen since this process started: a failure the outbox kept, else nothing is waiting.
    const failure = (await notifier.failures()).find((f) => f.conversation_id === conversationId)
    if (failure !== undefined) return { state: 'failed', reason: failure.reason, at: failure.failed_at }
    return { state: 'delivered', reason: null, at: null }
  }
}

/** fastify-plugin: the hook that follows the console's writes must see the console's routes. */
export const agentInbox: FastifyPluginAsync<InboxOptions> = fp(inbox, { fastify: '5.x', name: 'helpdesk-inbox' })

/** The page's files live beside the sources; the build (dist/) runs from there too. */
function publicDir (): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  return here.replace(/([\\/])dist[\\/]examples[\\/]/, '$1examples$1') + 'public'
}
