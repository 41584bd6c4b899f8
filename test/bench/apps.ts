// The servers the benchmark compares, each built in its own process by server.ts: the plugin, and the baselines a
// user could write instead (bare Fastify serving a constant, hand-written routes on the same SQLite file, the
// fastify-openapi-glue app). test/bench-apps.test.ts checks that they answer the same JSON as the plugin.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifySwagger from '@fastify/swagger'
import { Type } from '@sinclair/typebox'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import Fastify, { type FastifyInstance } from 'fastify'
import openapiGlue from 'fastify-openapi-glue'
import finHelpdesk, { MemoryStorage, schemas, type FinStorage } from '../../lib/index.js'
import { type Message } from '../../lib/schemas/models.js'
import { sanitizeFinHtml } from '../../lib/html.js'
import { SqliteStorage } from '../../lib/sqlite/index.js'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'

export const TOKEN = 'bench-token-0123456789abcdef'
export const FIN = { id: 'agent_fin', name: 'Fin', email: 'fin@helpdesk.example', alias: 'Fin' }
/** The published reference, once the repository carries it (docs/reference); else our own generated document. */
const REFERENCE = fileURLToPath(new URL('../../docs/reference/fin-api.yaml', import.meta.url))

/** Ids of what seed() made: every contender's load is aimed at its own copy. */
export interface Seeded { conversationId: string, postConversationId: string }

/** One conversation of 10 messages, assigned to Fin, with tags and attributes; and an empty one to post into. */
export async function seed (storage: FinStorage): Promise<Seeded> {
  await storage.upsertAgent(FIN)
  const user = (await storage.createUser({ name: 'Jane Doe', email: 'jane@example.com', object_id: 'bench_user', attributes: { plan: 'pro', seats: 12 } })).value
  const first = { author: { id: user.id, user_type: 'end_user' as const }, body: '<p>How much is the Pro plan?</p>', visibility: 'public' as const, attachments: [] }
  const { conversation } = (await storage.createConversation({
    object_id: 'bench_read', user_id: user.id, title: 'Question about pricing plans', attributes: { issue_type: 'Billing', priority: 'High' }, message: first
  })).value
  await storage.updateConversation(conversation.id, { assignee_id: FIN.id, tags: ['pricing', 'sales'] })
  for (let i = 0; i < 9; i++) {
    await storage.createMessage(conversation.id, { author: { id: FIN.id, user_type: 'agent' }, body: `<p>Answer ${i}: our Pro plan is $20 a month.</p>`, visibility: 'public', attachments: [], object_id: `bench_read_${i}` })
  }
  const post = (await storage.createConversation({ object_id: 'bench_post', user_id: user.id, title: 'Writes', attributes: null, message: first })).value
  return { conversationId: conversation.id, postConversationId: post.conversation.id }
}

/** The plugin with auth, the per-client rate limit and the failed-auth limit on, as in production (never tripped). */
export async function pluginApp (storage: FinStorage): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(finHelpdesk, { tokens: [TOKEN], storage, rateLimit: { max: 1e9, timeWindow: 60_000 } })
  return app
}

/** The limit: the same JSON through the same schemas, no auth, no storage. */
export async function bareApp (storage: FinStorage, ids: Seeded): Promise<FastifyInstance> {
  const app = Fastify()
  const conversation = await storage.getConversation(ids.conversationId)
  const messages = (await storage.listMessages(ids.conversationId))!
  let created = 0
  app.get('/conversation', { schema: { querystring: schemas.GetConversationQuery, response: { 200: schemas.Conversation } } }, async () => conversation)
  app.get('/messages', { schema: { querystring: schemas.GetMessagesQuery, response: { 200: Type.Array(schemas.Message) } } }, async () => messages)
  app.post('/messages', { schema: { body: schemas.CreateMessageRequest, response: { 201: schemas.Message } } }, async (request, reply) => {
    const body = request.body as schemas.CreateMessageRequest
    reply.code(201)
    return { id: `msg_${created++}`, conversation_id: body.conversation_id, message_type: 'comment', body: body.body ?? '', author: messages[1]!.author, visibility: body.visibility ?? 'public', created_at: new Date().toISOString(), attachments: [] }
  })
  return app
}

/** The no-op surface of @opentelemetry/api that bareOtelApp calls (typed here: the package is optional). */
interface OtelApi {
  trace: { getTracer: (name: string) => { startSpan: (name: string, options: object) => OtelSpan }, setSpan: (context: unknown, span: OtelSpan) => unknown }
  context: { active: () => unknown }
  metrics: { getMeter: (name: string) => { createCounter: (name: string) => OtelRecorder, createHistogram: (name: string) => OtelRecorder } }
}
interface OtelSpan { setAttribute: (key: string, value: string | number) => void, end: () => void }
interface OtelRecorder { add?: (value: number, attributes: object) => void, record?: (value: number, attributes: object) => void }

/**
 * Bare Fastify plus, per request, the OpenTelemetry API calls an instrumented route makes (a span with attributes,
 * its context, a counter and a histogram) with no SDK registered: what the API's no-ops cost. Undefined when
 * @opentelemetry/api is not installed.
 */
export async function bareOtelApp (storage: FinStorage, ids: Seeded): Promise<FastifyInstance | undefined> {
  const name = '@opentelemetry/api'
  const api = await import(name).then((module: OtelApi) => module, () => undefined)
  if (api === undefined) return undefined
  const app = await bareApp(storage, ids)
  const tracer = api.trace.getTracer('bench')
  const meter = api.metrics.getMeter('bench')
  const requests = meter.createCounter('requests')
  const duration = meter.createHistogram('duration')
  const spans = new WeakMap<object, { span: OtelSpan, started: number }>()
  app.addHook('onRequest', (request, _reply, done) => {
    const span = tracer.startSpan('fin.api.getConversation', { attributes: { 'fin.operation': 'getConversation', 'http.request.method': request.method } })
    api.trace.setSpan(api.context.active(), span)
    spans.set(request, { span, started: performance.now() })
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    const state = spans.get(request)!
    const attributes = { 'fin.operation': 'getConversation', 'http.response.status_code': reply.statusCode }
    requests.add!(1, attributes)
    duration.record!((performance.now() - state.started) / 1000, attributes)
    state.span.setAttribute('http.response.status_code', reply.statusCode)
    state.span.end()
    done()
  })
  return app
}

/**
 * What a user would write by hand on the same SQLite file: a bearer check in one hook, one prepared statement per
 * read, and for create_message validation (the same schema), sanitizing (the same policy), idempotency on object_id
 * and one IMMEDIATE transaction; answers built from what was written, field by field.
 */
export function handSqliteApp (path: string): FastifyInstance {
  const db: Database = new BetterSqlite3(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  const getConversation = db.prepare(`SELECT c.id, c.status, c.title, c.tags, c.attributes, c.created_at, c.updated_at,
      u.id AS u_id, u.name AS u_name, u.email AS u_email, u.photo_url AS u_photo_url, u.attributes AS u_attributes,
      a.id AS a_id, a.name AS a_name, a.email AS a_email, a.photo_url AS a_photo_url, a.alias AS a_alias
    FROM fin_conversations c JOIN fin_users u ON u.id = c.user_id LEFT JOIN fin_agents a ON a.id = c.assignee_id WHERE c.id = ?`)
  const listMessages = db.prepare('SELECT id, conversation_id, body, author, visibility, attachments, created_at FROM fin_messages WHERE conversation_id = ? ORDER BY seq')
  const byObjectId = db.prepare('SELECT id, conversation_id, body, author, visibility, attachments, created_at FROM fin_messages WHERE object_id = ?')
  const conversationExists = db.prepare('SELECT 1 FROM fin_conversations WHERE id = ?')
  const getAgent = db.prepare('SELECT id, name, email, photo_url, alias FROM fin_agents WHERE id = ?')
  const getUser = db.prepare('SELECT id, name, email, photo_url FROM fin_users WHERE id = ?')
  const insert = db.prepare('INSERT INTO fin_messages (id, object_id, conversation_id, body, author, visibility, attachments, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  const touch = db.prepare('UPDATE fin_conversations SET updated_at = ? WHERE id = ?')
  type Row = Record<string, string | null>
  const toMessage = (row: Row): Message => ({
    id: row.id!,
    conversation_id: row.conversation_id!,
    message_type: 'comment',
    body: row.body!,
    author: JSON.parse(row.author!) as Message['author'],
    visibility: row.visibility as Message['visibility'],
    created_at: row.created_at!,
    attachments: JSON.parse(row.attachments!) as Message['attachments']
  })
  const create = db.transaction((body: schemas.CreateMessageRequest, text: string): Message | null => {
    if (body.object_id !== undefined) {
      const existing = byObjectId.get(body.object_id) as Row | undefined
      if (existing !== undefined) return toMessage(existing)
    }
    if (conversationExists.get(body.conversation_id) === undefined) return null
    const row = (body.author.user_type === 'agent' ? getAgent : getUser).get(body.author.id) as Row | undefined
    if (row === undefined) throw httpError(422, 'unknown author')
    const author = body.author.user_type === 'agent'
      ? { id: row.id!, user_type: 'agent' as const, name: row.name ?? null, email: row.email ?? null, photo_url: row.photo_url ?? null, alias: row.alias ?? null }
      : { id: row.id!, user_type: 'end_user' as const, name: row.name ?? null, email: row.email ?? null, photo_url: row.photo_url ?? null }
    const id = `msg_${crypto.randomUUID().replaceAll('-', '')}`
    const now = new Date().toISOString()
    const attachments = (body.attachments ?? []).map((a) => ({ url: a.url, filetype: a.filetype, filename: a.filename }))
    insert.run(id, body.object_id ?? null, body.conversation_id, text, JSON.stringify(author), body.visibility ?? 'public', JSON.stringify(attachments), body.created_at ?? now)
    touch.run(now, body.conversation_id)
    return { id, conversation_id: body.conversation_id, message_type: 'comment', body: text, author, visibility: body.visibility ?? 'public', created_at: body.created_at ?? now, attachments }
  })

  const app = Fastify()
  const expected = `Bearer ${TOKEN}`
  app.addHook('onRequest', (request, reply, done) => {
    if (request.headers.authorization !== expected) reply.code(401).send({ message: 'unauthorized' })
    else done()
  })
  app.addHook('onClose', () => { db.close() })
  app.get('/conversation', { schema: { querystring: schemas.GetConversationQuery, response: { 200: schemas.Conversation } } }, async (request) => {
    const row = getConversation.get((request.query as schemas.GetConversationQuery).conversation_id) as Row | undefined
    if (row === undefined) throw httpError(404, 'conversation not found')
    return {
      id: row.id,
      status: row.status,
      user: { id: row.u_id, user_type: 'end_user', name: row.u_name, email: row.u_email, photo_url: row.u_photo_url, attributes: row.u_attributes === null ? null : JSON.parse(row.u_attributes!) },
      title: row.title ?? undefined,
      tags: JSON.parse(row.tags!),
      attributes: JSON.parse(row.attributes!),
      assignee: row.a_id === null ? undefined : { id: row.a_id, user_type: 'agent', name: row.a_name, email: row.a_email, photo_url: row.a_photo_url, alias: row.a_alias },
      created_at: row.created_at,
      updated_at: row.updated_at
    }
  })
  app.get('/messages', { schema: { querystring: schemas.GetMessagesQuery, response: { 200: Type.Array(schemas.Message) } } }, async (request) => {
    const id = (request.query as schemas.GetMessagesQuery).conversation_id
    const rows = listMessages.all(id) as Row[]
    if (rows.length === 0 && conversationExists.get(id) === undefined) throw httpError(404, 'conversation not found')
    return rows.map(toMessage)
  })
  app.post('/messages', { schema: { body: schemas.CreateMessageRequest, response: { 201: schemas.Message } } }, async (request, reply) => {
    const body = request.body as schemas.CreateMessageRequest
    const text = body.body == null || body.body === '' ? '' : sanitizeFinHtml(body.body)
    if (text.trim() === '' && (body.attachments ?? []).length === 0) throw httpError(422, 'empty message')
    const message = create.immediate(body, text)
    if (message === null) throw httpError(404, 'conversation not found')
    return reply.code(201).send(message)
  })
  return app
}

const httpError = (statusCode: number, message: string): Error => Object.assign(new Error(message), { statusCode })

/** Our own OpenAPI document, as @fastify/swagger generates it from the plugin's schemas. */
export async function generatedSpec (): Promise<Record<string, unknown>> {
  const app = Fastify()
  await app.register(fastifySwagger, { openapi: { openapi: '3.1.0', info: { title: 'Fin Custom Helpdesk API', version: '1' }, components: { securitySchemes: { BearerAuth: { type: 'http', scheme: 'bearer' } } } } })
  await app.register(finHelpdesk, { tokens: [TOKEN], storage: new MemoryStorage() })
  await app.ready()
  const spec = app.swagger() as Record<string, unknown>
  await app.close()
  return spec
}

/**
 * What a user would write with fastify-openapi-glue: the spec's schemas and hand-written handlers over the same
 * storage, a bearer check as its security handler, no rate limit.
 */
export async function glueApp (storage: FinStorage): Promise<{ app: FastifyInstance, spec: string }> {
  const reference = existsSync(REFERENCE)
  // The reference carries x-note keywords: Ajv's strict mode must be off to compile it.
  const app = Fastify({ ajv: { customOptions: { strict: false } } })
  const serviceHandlers = {
    async getConversation (request: { query: { conversation_id: string } }) { return storage.getConversation(request.query.conversation_id) },
    async getMessages (request: { query: { conversation_id: string, after_id?: string } }) { return storage.listMessages(request.query.conversation_id, request.query.after_id) },
    async createMessage (request: { body: { conversation_id: string, body: string, author: { id: string, user_type: 'agent' | 'end_user' }, object_id?: string } }, reply: { code: (n: number) => void }) {
      const result = await storage.createMessage(request.body.conversation_id, { author: request.body.author, body: sanitizeFinHtml(request.body.body), visibility: 'public', attachments: [], object_id: request.body.object_id })
      reply.code(201)
      return result?.value
    }
  }
  const expected = `Bearer ${TOKEN}`
  const check = (request: { headers: Record<string, string | string[] | undefined> }): void => {
    if (request.headers.authorization !== expected) throw Object.assign(new Error('unauthorized'), { statusCode: 401 })
  }
  const securityHandlers = { BearerAuth: check }
  // Our document's error responses require a code: the glue's SecurityError has none.
  app.setErrorHandler((error: Error & { statusCode?: number, code?: string }, _request, reply) => {
    const statusCode = error.statusCode ?? 500
    return reply.code(statusCode).send({ statusCode, code: error.code ?? 'GLUE_ERROR', error: error.name, message: error.message })
  })
  await app.register(openapiGlue, { specification: reference ? REFERENCE : await generatedSpec(), serviceHandlers, securityHandlers })
  return { app, spec: reference ? 'docs/reference/fin-api.yaml' : 'the OpenAPI document @fastify/swagger generates from the plugin' }
}

/** The example helpdesk as `npm start` builds it (SQLite, logger on at info), with the rate limit set out of reach. */
export async function exampleApp (path: string): Promise<FastifyInstance> {
  const config = readConfig({ FIN_API_TOKEN: TOKEN, FIN_DB_PATH: path, FIN_RATE_LIMIT: '1000000', PORT: '0' })
  return buildHelpdesk(config, { level: 'info' })
}

export { MemoryStorage, SqliteStorage }
