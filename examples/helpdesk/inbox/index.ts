import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import {
  applyFinConventions, errorCodes, scanConversationViews, schemas,
  type ConversationViewPage, type ConversationViewQuery, type FinStorage
} from '../../../lib/index.js'
import type { InboxChange, InboxPage, InboxSync, InboxThread, InboxView } from './client/types.js'
import { credentialStore, type CredentialStore } from './credentials.js'
import { handoverMarks, type HandoverMarks } from './handovers.js'
import { InboxHub, type HubOptions } from './hub.js'
import { generatePassword, hashPassword } from './passwords.js'
import { sessionStore } from './session-store.js'
import { agentSessions } from './sessions.js'
import { conversationSummary, customerOf, threadMessage } from './views.js'
import { InboxWrites } from './writes.js'

const { FIN_ERR_BAD_REQUEST: FinBadRequestError, FIN_ERR_CONVERSATION_NOT_FOUND: FinConversationNotFoundError } = errorCodes

export interface InboxOptions {
  storage: FinStorage
  /** The agent Fin writes as: its messages are marked as Fin's, and it never signs in. */
  finAgentId: string
  /** Passwords by agent email (AGENT_PASSWORDS): set at this start, kept after. Agents without one get a generated one, once. */
  passwords?: ReadonlyMap<string, string>
  /** Signs the session cookies (32+ characters). @default random per process: a restart signs everyone out */
  sessionSecret?: string
  /** Secure cookies: set it whenever the helpdesk is reached over anything but loopback. @default true */
  secureCookies?: boolean
  /** How long a sign-in lasts (ms). @default 8 hours */
  sessionTtl?: number
  /** Where "Needs a human" is kept. @default a table beside the storage's (SQLite or PostgreSQL), else memory */
  marks?: HandoverMarks
  /** Where the password hashes are kept. @default a table beside the storage's, else memory */
  credentials?: CredentialStore
  /** An ioredis client: the inbox's rate limits are then shared across instances. */
  redis?: object
  /** The prefix of the inbox's keys in Redis: helpdesks sharing one Redis need their own. @default 'helpdesk-inbox-' */
  redisNameSpace?: string
  /** How often idle event streams get a keep-alive comment (ms). @default 15000 */
  heartbeat?: number
  /** Requests a minute per signed-in agent. @default 600 */
  perAgent?: number
  /** Sign-in attempts per 15 minutes, per IP and per account. @default 30 and 10 */
  loginsPerIp?: number
  loginsPerAccount?: number
  /** Event streams: how many per agent, and how much may wait for a client that stopped reading. */
  streams?: HubOptions
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The inbox: the agents' generated passwords, and its live hub. */
    inbox: {
      /**
       * Gives each agent who has no password (and is not in AGENT_PASSWORDS) a generated one: those to print once
       * (email and password), and the agents who keep theirs (only its hash is stored: the one printed when it was
       * generated, by this start or another instance's, or last set by AGENT_PASSWORDS). `npm start` calls it once it
       * listens: a start that cannot listen writes no password it would never print.
       */
      generatePasswords: () => Promise<GeneratedPasswords>
      hub: InboxHub
    }
  }
}

/** The page, its script and styles, and the favicon: all served from here (no CDN: it works offline). */
export const PUBLIC_DIR = publicDir()

/** Only our own files. Remote images in messages are shown as links by the page, and blocked here besides. */
export const INBOX_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"
].join('; ')

const Params = Type.Object({ id: schemas.Id })
const VIEWS = ['human', 'mine', 'unassigned', 'all'] as const

/**
 * The agent inbox at GET /inbox: agents sign in with their own email and password (a session cookie), and every
 * action is taken as the signed-in agent. Reads at /inbox/api/*, writes through writes.ts, and live updates by
 * server-sent events carrying each changed row (the page patches itself instead of reloading).
 */
async function inbox (app: FastifyInstance, options: InboxOptions): Promise<void> {
  const { storage, finAgentId } = options
  const hub = new InboxHub(options.streams)
  const fin = app.fin.get()
  const notifier = fin.notifier
  const marks = options.marks ?? await handoverMarks(storage)
  const credentials = options.credentials ?? await credentialStore(storage)
  const writes = new InboxWrites(app)
  const views = storage.listConversationViews?.bind(storage) ?? ((query: ConversationViewQuery) => scanConversationViews(storage, query))
  const given = options.passwords ?? new Map<string, string>()
  await setGivenPasswords(storage, credentials, finAgentId, given)
  app.decorate('inbox', {
    generatePasswords: () => generatePasswords(storage, credentials, finAgentId, given),
    hub
  })

  // Changes of one event-loop turn go out as one frame per conversation, with its row read once.
  const pending = new Map<string, InboxChange['kind']>()
  const RANK: Record<InboxChange['kind'], number> = { sync: 0, conversation: 1, message: 2, handover: 3 }
  function changed (conversationId: string, kind: InboxChange['kind']): void {
    const before = pending.get(conversationId)
    if (before === undefined && pending.size === 0) setImmediate(flush)
    if (before === undefined || RANK[kind] > RANK[before]) pending.set(conversationId, kind)
  }
  function flush (): void {
    const batch = [...pending]
    pending.clear()
    if (batch.length === 0) return
    rows(batch.map(([id]) => id)).then((found) => {
      for (const [id, kind] of batch) hub.publish({ kind, conversation_id: id, conversation: found.get(id) ?? null })
    }, (err: unknown) => app.log.error({ err }, 'inbox: could not read the changed conversations'))
  }

  fin.events.on('conversation.created', ({ conversation }) => changed(conversation.id, 'conversation'))
  fin.events.on('conversation.updated', async ({ conversation }) => {
    // Someone was assigned (a human, or Fin naming an agent): any handover is answered.
    if (conversation.assignee !== undefined) await marks.delete(conversation.id)
    changed(conversation.id, 'conversation')
  })
  fin.events.on('conversation.handover', async ({ conversation }) => {
    await marks.add(conversation.id)
    changed(conversation.id, 'handover')
  })
  fin.events.on('message.created', ({ message }) => changed(message.conversation_id, 'message'))
  // Typing events are not changes: only syncs move the status.
  const sync = (id: string, state: InboxSync['state'], reason: string | null = null): void => {
    hub.setSync(id, state, reason)
    changed(id, 'sync')
  }
  fin.events.on('notify.sent', (e) => { if (e.kind === 'sync') sync(e.conversation_id, 'delivered') })
  fin.events.on('notify.retry', (e) => { if (e.kind === 'sync') sync(e.conversation_id, 'retrying', `${e.error}; next attempt in ${Math.round(e.delay_ms / 1000)} s`) })
  fin.events.on('notify.failed', (e) => { if (e.kind === 'sync') sync(e.conversation_id, 'failed', e.reason) })
  fin.events.on('notify.queued', (e) => sync(e.conversation_id, 'pending'))

  const heartbeat = setInterval(() => hub.heartbeat(), options.heartbeat ?? 15_000)
  heartbeat.unref()
  // Before the server stops accepting: open streams would otherwise hold close() until they time out.
  app.addHook('preClose', async () => {
    clearInterval(heartbeat)
    hub.close()
  })

  await app.register(async (scope) => {
    applyFinConventions(scope)
    scope.addHook('onSend', async (request, reply) => {
      reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer')
    })
    // One URL serves the page: the folder's index.html is not a second way in (without the page's CSP).
    await scope.register(fastifyStatic, {
      root: PUBLIC_DIR, prefix: '/inbox/assets/', index: false, maxAge: 0, allowedPath: (path, root, request) => !path.endsWith('.html') || request.routeOptions.url === '/inbox'
    })
    scope.get('/inbox', (request, reply) => reply.header('content-security-policy', INBOX_CSP)
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-store')
      .sendFile('index.html'))
    // The same page with a trailing slash: a redirect, so relative URLs and the cookie's Path stay one.
    scope.get('/inbox/', (request, reply) => reply.redirect('/inbox'))
    scope.get('/favicon.ico', (request, reply) => reply.sendFile('favicon.svg'))

    const requireAgent = await agentSessions(scope, {
      storage,
      credentials,
      finAgentId,
      secret: options.sessionSecret ?? randomBytes(32).toString('base64url'),
      secure: options.secureCookies ?? true,
      ttl: options.sessionTtl ?? 8 * 3600_000,
      store: await sessionStore(storage),
      redis: options.redis,
      redisNameSpace: options.redisNameSpace,
      perAgent: options.perAgent,
      loginsPerIp: options.loginsPerIp,
      loginsPerAccount: options.loginsPerAccount
    })

    await scope.register(async (api) => {
      api.addHook('onRequest', requireAgent)
      const routes = api.withTypeProvider<TypeBoxTypeProvider>()

      routes.get('/inbox/api/me', async (request) => ({ id: request.agent.id, name: request.agent.name, email: request.agent.email }))

      routes.get('/inbox/api/conversations', {
        schema: {
          querystring: Type.Object({
            view: Type.Optional(Type.Union(VIEWS.map((v) => Type.Literal(v)))),
            search: Type.Optional(Type.String({ maxLength: 200 })),
            cursor: Type.Optional(Type.String({ maxLength: 500 })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' }))
          })
        }
      }, async (request): Promise<InboxPage> => {
        const { view = 'all', search, cursor } = request.query
        const handedOver = await marks.list()
        const page = await views({
          ...viewFilter(view, request.agent.id, handedOver),
          search,
          cursor,
          limit: request.query.limit === undefined ? 50 : Number(request.query.limit)
        })
        return { conversations: await summaries(page, handedOver), next_cursor: page.nextCursor }
      })

      routes.get('/inbox/api/conversations/:id', { schema: { params: Params } }, async (request): Promise<InboxThread> => {
        const id = request.params.id
        const [conversation, messages, row] = await Promise.all([storage.getConversation(id), storage.listMessages(id), rows([id])])
        if (conversation === null || messages === null || !row.has(id)) throw new FinConversationNotFoundError(id)
        return { conversation: row.get(id)!, customer: customerOf(conversation), messages: messages.map((m) => threadMessage(m, finAgentId)) }
      })

      // What the open thread lacks since the last message it shows: a live update patches, never reloads.
      routes.get('/inbox/api/conversations/:id/messages', {
        schema: { params: Params, querystring: Type.Object({ after: Type.Optional(schemas.Id) }) }
      }, async (request) => {
        const messages = await storage.listMessages(request.params.id, request.query.after)
        if (messages === null) throw new FinConversationNotFoundError(request.params.id)
        return messages.map((m) => threadMessage(m, finAgentId))
      })

      // Who writes is the session's agent, never the request's: an author_id naming anyone else is refused.
      routes.post('/inbox/api/conversations/:id/messages', {
        schema: {
          params: Params,
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
          body: Type.Object({
            body: Type.String({ minLength: 1, maxLength: 100_000 }),
            visibility: Type.Optional(schemas.MessageVisibility),
            author_id: Type.Optional(schemas.Id)
          })
        }
      }, async (request, reply) => {
        notSomeoneElse(request.body.author_id, request.agent.id, 'author_id')
        const message = await writes.reply(request.params.id, request.agent, {
          body: request.body.body,
          visibility: request.body.visibility ?? 'public',
          key: request.headers['idempotency-key']
        })
        return reply.code(201).send(threadMessage(message, finAgentId))
      })

      routes.post('/inbox/api/conversations/:id/typing', {
        schema: { params: Params, body: Type.Optional(Type.Object({ agent_id: Type.Optional(schemas.Id) })) }
      }, async (request, reply) => {
        notSomeoneElse(request.body?.agent_id, request.agent.id, 'agent_id')
        return reply.code(202).send({ typing: await writes.typing(request.params.id, request.agent) })
      })

      // Taking a conversation: it is assigned to the signed-in agent (an assignee_id naming anyone else is refused).
      routes.post('/inbox/api/conversations/:id/assign', {
        schema: { params: Params, body: Type.Optional(Type.Object({ assignee_id: Type.Optional(schemas.Id) })) }
      }, async (request) => {
        notSomeoneElse(request.body?.assignee_id, request.agent.id, 'assignee_id')
        await writes.assign(request.params.id, request.agent)
        return (await rows([request.params.id])).get(request.params.id)
      })

      routes.post('/inbox/api/conversations/:id/status', {
        schema: { params: Params, body: Type.Object({ status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]) }) }
      }, async (request) => {
        await writes.setStatus(request.params.id, request.body.status)
        return (await rows([request.params.id])).get(request.params.id)
      })

      // "Retry now": Fin is asked to sync again (after a failure, or to be sure).
      routes.post('/inbox/api/conversations/:id/sync', { schema: { params: Params } }, async (request, reply) => {
        if (await storage.getConversation(request.params.id) === null) throw new FinConversationNotFoundError(request.params.id)
        await writes.sync(request.params.id)
        return reply.code(202).send({ sync: await syncStatus(request.params.id) })
      })

      // Server-sent events, read by EventSource with the session cookie.
      routes.get('/inbox/api/events', (request, reply) => {
        reply.hijack()
        hub.attach(reply.raw, request.agent.id)
      })
    })
  })

  /** The list rows of these conversations (those that exist), each with its last message: one query. */
  async function rows (ids: string[]): Promise<Map<string, InboxPage['conversations'][number]>> {
    const handedOver = await marks.list()
    const page = await views({ ids, limit: Math.max(1, Math.min(ids.length, 200)) })
    return new Map((await summaries(page, handedOver)).map((row) => [row.id, row]))
  }

  async function summaries (page: ConversationViewPage, handedOver: Map<string, string>): Promise<InboxPage['conversations']> {
    const failures = page.conversations.length === 0 || notifier === undefined ? [] : await notifier.failures()
    return page.conversations.map(({ conversation, lastMessage }) => {
      const failure = failures.find((f) => f.conversation_id === conversation.id)
      const sync: InboxSync = notifier === undefined
        ? { state: 'off', reason: 'FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY are not set', at: null }
        : hub.getSync(conversation.id) ?? (failure === undefined ? { state: 'delivered', reason: null, at: null } : { state: 'failed', reason: failure.reason, at: failure.failed_at })
      return conversationSummary(conversation, lastMessage, handedOver.get(conversation.id), sync, finAgentId)
    })
  }

  async function syncStatus (conversationId: string): Promise<InboxSync | undefined> {
    return (await rows([conversationId])).get(conversationId)?.sync
  }
}

/** A view as a storage query. "Needs a human": open, unassigned, and handed over by Fin (the marks). */
function viewFilter (view: InboxView, agentId: string, handedOver: Map<string, string>): ConversationViewQuery {
  switch (view) {
    case 'human': return { status: 'open', assigneeId: null, ids: [...handedOver.keys()] }
    case 'mine': return { status: 'open', assigneeId: agentId }
    case 'unassigned': return { status: 'open', assigneeId: null }
    case 'all': return {}
  }
}

function notSomeoneElse (given: string | undefined, agentId: string, field: string): void {
  if (given !== undefined && given !== agentId) throw new FinBadRequestError(`${field}: the inbox acts only as the signed-in agent`)
}

/** What generatePasswords gives the banner. */
export interface GeneratedPasswords {
  /** Added now: to print, this once. */
  generated: Array<{ email: string, password: string }>
  /** The agents (not in AGENT_PASSWORDS) who keep the one they had, or that another instance added meanwhile. */
  kept: string[]
}

/** AGENT_PASSWORDS sets the listed agents' passwords at this start (kept after). */
async function setGivenPasswords (storage: FinStorage, credentials: CredentialStore, finAgentId: string, given: ReadonlyMap<string, string>): Promise<void> {
  for (const agent of await storage.listAgents()) {
    const password = given.get(agent.email.toLowerCase())
    if (agent.id !== finAgentId && password !== undefined) await credentials.set(agent.id, await hashPassword(password))
  }
}

/**
 * An agent with no password yet gets a generated one. Several instances doing this at once on one database: each
 * hash is added only where none exists (one statement), so one instance adds and prints it and the others list the
 * agent as keeping it; reading "none yet" and writing after the scrypt let both write, and one banner printed a
 * password that did not work.
 */
async function generatePasswords (storage: FinStorage, credentials: CredentialStore, finAgentId: string, given: ReadonlyMap<string, string>): Promise<GeneratedPasswords> {
  const agents = (await storage.listAgents()).filter((agent) => agent.id !== finAgentId && !given.has(agent.email.toLowerCase()))
  const fresh: Array<{ agentId: string, email: string, password: string, hash: string }> = []
  for (const agent of agents) {
    if (await credentials.get(agent.id) !== undefined) continue
    const password = generatePassword()
    fresh.push({ agentId: agent.id, email: agent.email, password, hash: await hashPassword(password) })
  }
  const added = await credentials.addMissing(fresh.map(({ agentId, hash }) => ({ agentId, hash })))
  return {
    generated: fresh.filter(({ agentId }) => added.has(agentId)).map(({ email, password }) => ({ email, password })),
    kept: agents.filter((agent) => !added.has(agent.id)).map((agent) => agent.email)
  }
}

/** fastify-plugin: the app gets `inbox` (the passwords to print, the hub). */
export const agentInbox: FastifyPluginAsync<InboxOptions> = fp(inbox, { fastify: '5.x', name: 'helpdesk-inbox' })

/** The page's files live beside the sources; the build (dist/) runs from there too. */
function publicDir (): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  return here.replace(/([\\/])dist[\\/]examples[\\/]/, '$1examples$1') + 'public'
}
