import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { errorCodes, type FinStorageTypes, type schemas } from '../../../lib/index.js'

const { FIN_ERR_STORAGE_UNAVAILABLE: FinStorageUnavailableError } = errorCodes
type AgentRecord = FinStorageTypes.AgentRecord
type Conversation = schemas.Conversation
type ConversationStatus = schemas.ConversationStatus
type Message = schemas.Message

/**
 * Every write the inbox makes, through the plugin's write API (`app.fin.createMessage`, ...): each change is stored
 * with Fin's sync in one transaction and fires the same typed events as Fin's own writes (and `notify.queued` for
 * the sync), which the live view follows, whoever wrote: the inbox, the console or a script.
 */
export class InboxWrites {
  readonly #app: FastifyInstance

  constructor (app: FastifyInstance) {
    this.#app = app
  }

  /**
   * A reply or a private note by `agent`. `key` (the page's Idempotency-Key) is scoped to the agent and the
   * conversation: a retry stores nothing twice, and another agent's same key is another message. A public reply
   * assigns the conversation to the agent who wrote it.
   */
  async reply (conversationId: string, agent: AgentRecord, input: { body: string, visibility: Message['visibility'], key?: string }): Promise<Message> {
    const fin = this.#app.fin
    const message = await fin.createMessage(conversationId, {
      // Hashed: any key the header allows fits an object_id, and the scope (agent, conversation) stays in it.
      ...(input.key === undefined ? {} : { object_id: `inbox:${createHash('sha256').update(`${agent.id}\n${conversationId}\n${input.key}`).digest('base64url')}` }),
      author: { id: agent.id, user_type: 'agent' },
      body: input.body,
      visibility: input.visibility
    })
    if (input.visibility === 'public' && (await fin.storage.getConversation(conversationId))?.assignee?.id !== agent.id) {
      await fin.updateConversation(conversationId, { assignee_id: agent.id })
    }
    return message
  }

  /** Takes the conversation: assigned to the signed-in agent. */
  assign (conversationId: string, agent: AgentRecord): Promise<Conversation> {
    return this.#app.fin.updateConversation(conversationId, { assignee_id: agent.id })
  }

  /** Resolve, or reopen. */
  setStatus (conversationId: string, status: ConversationStatus): Promise<Conversation> {
    return this.#app.fin.updateConversation(conversationId, { status })
  }

  /** Tells Fin the agent is typing (throttled by the plugin); false when notifications are off. */
  typing (conversationId: string, agent: AgentRecord): Promise<boolean> {
    return this.#app.fin.typing(conversationId, agent)
  }

  /** "Retry now": asks Fin to sync again. A failed outbox write is a 503 the page may retry. */
  async sync (conversationId: string): Promise<void> {
    if (this.#app.fin.get().notifier === undefined) return
    try {
      await this.#app.notifyFin(conversationId)
    } catch (err) {
      throw new FinStorageUnavailableError({ cause: err })
    }
  }
}
