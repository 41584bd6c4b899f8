import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { applyFinConventions, errorCodes, sanitizeFinHtml, schemas, type FinStorage } from '../../lib/index.js'
import { consoleAuth } from './console-auth.js'

const {
  FIN_ERR_AGENT_NOT_FOUND: FinAgentNotFoundError, FIN_ERR_CONVERSATION_NOT_FOUND: FinConversationNotFoundError,
  FIN_ERR_EMPTY_MESSAGE: FinEmptyMessageError, FIN_ERR_STORAGE_UNAVAILABLE: FinStorageUnavailableError
} = errorCodes

export interface ConsoleOptions {
  storage: FinStorage
  /** Bearer token of the console: the agents' side, never one of Fin's tokens. */
  token: string
  /** An ioredis client, when several instances share the console's rate limits. */
  redis?: object
}

const Params = Type.Object({ id: schemas.Id })
/** A client's key for one reply: its retries carry the same key and store nothing twice. */
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) })

/**
 * The human-agent side of the example helpdesk: agents read conversations, reply, type and reassign; every change
 * is reported to Fin with notifyFin (a sync), typing with notifyFin.typing.
 */
export const agentConsole: FastifyPluginAsync<ConsoleOptions> = async (app, { storage, token, redis }) => {
  applyFinConventions(app)
  await consoleAuth(app, { token, redis })
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()

  routes.get('/console/conversations', async () => storage.listConversations({ limit: 100 }))

  routes.get('/console/conversations/:id/messages', { schema: { params: Params } }, async (request) => {
    const messages = await storage.listMessages(request.params.id)
    if (messages === null) throw new FinConversationNotFoundError(request.params.id)
    return messages
  })

  // Store, then notify: two writes. With an Idempotency-Key the pair is safe to retry: the retry finds the message
  // (same object_id) and writes the notification that a failure in between lost, storing nothing twice.
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
    const body = sanitizeFinHtml(request.body.body)
    if (body.trim() === '') throw new FinEmptyMessageError('body/body holds nothing once sanitized')
    const key = request.headers['idempotency-key']
    const created = await storage.createMessage(request.params.id, {
      ...(key === undefined ? {} : { object_id: `console:${key}` }),
      author: { id: request.body.author_id, user_type: 'agent' },
      body,
      visibility: request.body.visibility ?? 'public',
      attachments: []
    })
    if (created === null) throw new FinConversationNotFoundError(request.params.id)
    await syncFin(app, request.params.id)
    return reply.code(201).send(created.value)
  })

  routes.post('/console/conversations/:id/typing', {
    schema: { params: Params, body: Type.Object({ agent_id: schemas.Id }) }
  }, async (request, reply) => {
    if (await storage.getConversation(request.params.id) === null) throw new FinConversationNotFoundError(request.params.id)
    const agent = (await storage.listAgents()).find((a) => a.id === request.body.agent_id)
    if (agent === undefined) throw new FinAgentNotFoundError(request.body.agent_id)
    const sent = app.fin.get().notifier === undefined ? false : await app.notifyFin.typing(request.params.id, agent)
    return reply.code(202).send({ typing: sent })
  })

  routes.patch('/console/conversations/:id', {
    schema: {
      params: Params,
      body: Type.Object({
        status: Type.Optional(schemas.ConversationStatus),
        assignee_id: Type.Optional(schemas.Nullable(schemas.Id))
      }, { minProperties: 1 })
    }
  }, async (request) => {
    const updated = await storage.updateConversation(request.params.id, request.body)
    if (updated === null) throw new FinConversationNotFoundError(request.params.id)
    await syncFin(app, request.params.id)
    return updated.conversation
  })
}

/**
 * Tells Fin to sync, when this helpdesk is connected to Fin (FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY set). Called
 * on every attempt, also a retry whose write was already done. If the outbox write fails the answer is 503: the
 * change is stored but Fin was not told, and the client's retry (same Idempotency-Key) tells it.
 */
async function syncFin (app: FastifyInstance, conversationId: string): Promise<void> {
  if (app.fin.get().notifier === undefined) return
  try {
    await app.notifyFin(conversationId)
  } catch (err) {
    throw new FinStorageUnavailableError({ cause: err })
  }
}
