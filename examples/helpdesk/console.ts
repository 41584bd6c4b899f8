import type { FastifyPluginAsync } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { applyFinConventions, errorCodes, schemas, type FinStorage } from '../../lib/index.js'
import { consoleAuth } from './console-auth.js'

const { FIN_ERR_CONVERSATION_NOT_FOUND: FinConversationNotFoundError } = errorCodes

export interface ConsoleOptions {
  storage: FinStorage
  /** Bearer token of the console: the agents' side, never one of Fin's tokens. */
  token: string
  /** An ioredis client, when several instances share the console's rate limits. */
  redis?: object
  /** The prefix of the console's keys in Redis. @default 'helpdesk-console-' */
  redisNameSpace?: string
}

const Params = Type.Object({ id: schemas.Id })
/** A client's key for one reply: its retries carry the same key and store nothing twice. */
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) })

/**
 * The human-agent side of the example helpdesk: agents read conversations, reply, type and reassign. It reads the
 * storage, and writes only through the plugin's write API (app.fin.createMessage...), which stores each change
 * with Fin's sync in one transaction and emits the same events as Fin's own writes.
 */
export const agentConsole: FastifyPluginAsync<ConsoleOptions> = async (app, { storage, token, redis, redisNameSpace }) => {
  applyFinConventions(app)
  await consoleAuth(app, { token, redis, redisNameSpace })
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()

  routes.get('/console/conversations', async () => storage.listConversations({ limit: 100 }))

  routes.get('/console/conversations/:id/messages', { schema: { params: Params } }, async (request) => {
    const messages = await storage.listMessages(request.params.id)
    if (messages === null) throw new FinConversationNotFoundError(request.params.id)
    return messages
  })

  // One write: the reply and Fin's sync commit together, or neither does (a 503, nothing stored). The
  // Idempotency-Key (as the message's object_id) makes a client's retry answer the stored reply, not a second one.
  routes.post('/console/conversations/:id/messages', {
    schema: {
      params: Params,
      headers: IdempotencyHeaders,
      body: Type.Object({
        author_id: schemas.Id,
        body: Type.String({ minLength: 1, maxLength: 100_000 }),
        visibility: Type.Optional(schemas.MessageVisibility)
      })
    }
  }, async (request, reply) => {
    const key = request.headers['idempotency-key']
    const message = await app.fin.createMessage(request.params.id, {
      ...(key === undefined ? {} : { object_id: `console:${key}` }),
      author: { id: request.body.author_id, user_type: 'agent' },
      body: request.body.body,
      visibility: request.body.visibility ?? 'public'
    })
    return reply.code(201).send(message)
  })

  routes.post('/console/conversations/:id/typing', {
    schema: { params: Params, body: Type.Object({ agent_id: schemas.Id }) }
  }, async (request, reply) => {
    return reply.code(202).send({ typing: await app.fin.typing(request.params.id, request.body.agent_id) })
  })

  routes.patch('/console/conversations/:id', {
    schema: {
      params: Params,
      body: Type.Object({
        status: Type.Optional(schemas.ConversationStatus),
        assignee_id: Type.Optional(schemas.Nullable(schemas.Id))
      }, { minProperties: 1 })
    }
  }, async (request) => app.fin.updateConversation(request.params.id, request.body))
}
