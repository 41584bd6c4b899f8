// Overhead over bare Fastify, and over fastify-openapi-glue, for get_conversation, get_messages and create_message.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import openapiGlue from 'fastify-openapi-glue'
import finHelpdesk, { MemoryStorage, schemas, type FinStorage, type Message } from '../../lib/index.js'
import { SqliteStorage } from '../../lib/sqlite/index.js'
import type { Request } from 'autocannon'
import { alternate, listen, load, round, type Figure } from './harness.js'

const TOKEN = 'bench-token-0123456789abcdef'
const AUTH = { authorization: `Bearer ${TOKEN}` }
const SPEC = fileURLToPath(new URL('../../docs/reference/fin-api.yaml', import.meta.url))
const FIN = { id: 'agent_fin', name: 'Fin', email: 'fin@example.com', alias: 'Fin' }

interface Data { conversationId: string, storage: FinStorage }

async function seed (storage: FinStorage): Promise<Data> {
  await storage.upsertAgent(FIN)
  const user = (await storage.createUser({ name: 'Jane Doe', email: 'jane@example.com', object_id: 'u', attributes: { plan: 'pro', seats: 12 } })).value
  const { conversation } = (await storage.createConversation({
    object_id: 'c',
    user_id: user.id,
    title: 'Question about pricing plans',
    attributes: { issue_type: 'Billing', priority: 'High' },
    message: { author: { id: user.id, user_type: 'end_user' }, body: '<p>How much is the Pro plan?</p>', visibility: 'public', attachments: [] }
  })).value
  await storage.updateConversation(conversation.id, { assignee_id: FIN.id, tags: ['pricing', 'sales'] })
  for (let i = 0; i < 9; i++) {
    await storage.createMessage(conversation.id, { author: { id: FIN.id, user_type: 'agent' }, body: `<p>Answer ${i}: our Pro plan is $20 a month.</p>`, visibility: 'public', attachments: [] })
  }
  return { conversationId: conversation.id, storage }
}

async function pluginApp (storage: FinStorage, limits = true): Promise<FastifyInstance> {
  const app = Fastify()
  // Auth and rate limit on, as in production; the limit is set so the benchmark never trips it. Without limits:
  // the like-for-like comparison with the glue app, which has none.
  await app.register(finHelpdesk, limits
    ? { tokens: [TOKEN], storage, rateLimit: { max: 1e9, timeWindow: 60_000 } }
    : { tokens: [TOKEN], storage, rateLimit: false, authFailureLimit: false })
  return app
}

/** The same JSON through the same response schemas, with no plugin: the floor. */
async function bareApp (data: Data): Promise<FastifyInstance> {
  const app = Fastify()
  const conversation = await data.storage.getConversation(data.conversationId)
  const messages = (await data.storage.listMessages(data.conversationId))!
  const created: Message[] = []
  app.get('/conversation', { schema: { querystring: schemas.GetConversationQuery, response: { 200: schemas.Conversation } } }, async () => conversation)
  app.get('/messages', { schema: { querystring: schemas.GetMessagesQuery, response: { 200: Type.Array(schemas.Message) } } }, async () => messages)
  app.post('/messages', { schema: { body: schemas.CreateMessageRequest, response: { 201: schemas.Message } } }, async (request, reply) => {
    const body = request.body as schemas.CreateMessageRequest
    const message: Message = { id: `msg_${created.length}`, conversation_id: body.conversation_id, message_type: 'comment', body: body.body ?? '', author: messages[1]!.author, visibility: body.visibility ?? 'public', created_at: new Date().toISOString(), attachments: [] }
    created.push(message)
    reply.code(201)
    return message
  })
  return app
}

/** What a user would write instead: fastify-openapi-glue on the reference, hand-written handlers, same data. */
async function glueApp (data: Data): Promise<FastifyInstance> {
  // The reference carries x-note keywords: Ajv's strict mode must be off to compile it.
  const app = Fastify({ ajv: { customOptions: { strict: false } } })
  const { storage } = data
  const serviceHandlers = {
    async getConversation (request: { query: { conversation_id: string } }) { return storage.getConversation(request.query.conversation_id) },
    async getMessages (request: { query: { conversation_id: string, after_id?: string } }) { return storage.listMessages(request.query.conversation_id, request.query.after_id) },
    async createMessage (request: { body: { conversation_id: string, body: string, author: { id: string, user_type: 'agent' | 'end_user' }, object_id?: string } }, reply: { code: (n: number) => void }) {
      const result = await storage.createMessage(request.body.conversation_id, { author: request.body.author, body: request.body.body, visibility: 'public', attachments: [], object_id: request.body.object_id })
      reply.code(201)
      return result?.value
    }
  }
  const securityHandlers = {
    BearerAuth (request: { headers: Record<string, string | undefined> }) {
      if (request.headers.authorization !== `Bearer ${TOKEN}`) throw new Error('unauthorized')
    }
  }
  await app.register(openapiGlue, { specification: SPEC, serviceHandlers, securityHandlers })
  return app
}

let messageCounter = 0
function createMessageRequest (conversationId: string): Request {
  return {
    method: 'POST',
    path: '/messages',
    headers: { ...AUTH, 'content-type': 'application/json' },
    setupRequest: (request: Request) => ({
      ...request,
      body: JSON.stringify({ conversation_id: conversationId, message_type: 'comment', body: '<p>Thanks, that <b>helps</b>. One more <a href="https://example.com/q">question</a>.</p>', author: { id: FIN.id, user_type: 'agent' }, visibility: 'public', object_id: `bench_${messageCounter++}` })
    })
  }
}

function row (route: string, storage: string, figures: Record<string, Figure>): string {
  const bare = figures.bare!
  const cells = Object.entries(figures).map(([name, f]) =>
    `${name}: ${round(f.rps)} req/s, p50 ${f.p50} ms, p99 ${f.p99} ms${name === 'bare' ? '' : ` (**${round(f.rps / bare.rps, 3)}**)`}${f.non2xx > 0 ? `, ${f.non2xx} non-2xx!` : ''}`)
  return `| ${route} | ${storage} | ${cells.join('<br>')} |`
}

export async function bench (): Promise<string> {
  const lines = [
    '| route | storage | req/s, latency and ratio to bare (median of alternating runs) |',
    '|---|---|---|'
  ]
  const dir = mkdtempSync(join(tmpdir(), 'fin-bench-'))
  try {
    for (const kind of ['memory', 'sqlite'] as const) {
      const storage = kind === 'memory' ? new MemoryStorage() : new SqliteStorage({ path: join(dir, 'bench.db') })
      const data = await seed(storage)
      const apps: Record<string, FastifyInstance> = { bare: await bareApp(data), plugin: await pluginApp(storage) }
      // The glue alternative is measured over the same in-memory data, as a user would first write it.
      if (kind === 'memory') {
        apps['plugin, no limits'] = await pluginApp(storage, false)
        apps.glue = await glueApp(data)
      }
      const urls: Record<string, string> = {}
      for (const [name, app] of Object.entries(apps)) urls[name] = await listen(app)
      const routes: Array<[string, (url: string) => Promise<Figure>]> = [
        ['get_conversation', (url) => load({ url: `${url}/conversation?conversation_id=${data.conversationId}`, headers: AUTH })],
        ['get_messages', (url) => load({ url: `${url}/messages?conversation_id=${data.conversationId}`, headers: AUTH })],
        ['create_message', (url) => load({ url, requests: [createMessageRequest(data.conversationId)] })]
      ]
      for (const [route, run] of routes) {
        const figures = await alternate(Object.fromEntries(Object.keys(urls).map((name) => [name, () => run(urls[name]!)])))
        lines.push(row(route, kind, figures))
        process.stderr.write(`${route} ${kind}: ${JSON.stringify(figures)}\n`)
      }
      for (const app of Object.values(apps)) await app.close()
      await storage.close?.()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return lines.join('\n')
}
