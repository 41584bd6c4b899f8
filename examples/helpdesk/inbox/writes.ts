import type { FastifyInstance } from 'fastify'
import {
  FinConversationNotFoundError, FinEmptyMessageError, FinStorageUnavailableError, sanitizeFinHtml,
  type AgentRecord, type Conversation, type ConversationStatus, type FinStorage, type Message
} from '../../../lib/index.js'

/** What a write changed: the inbox's live updates follow these (and the plugin's events for Fin's writes). */
export type InboxWrite =
  | { kind: 'message', conversation: Conversation, message: Message }
  | { kind: 'conversation', conversation: Conversation, previousAssigneeId: string | null }
  | { kind: 'sync', conversationId: string }

/**
 * Every write the inbox makes, in one place: store, then tell Fin (notifyFin, through the outbox), as the console
 * does. When the plugin grows a write API (`app.fin.createMessage`, ...: store, event and Fin sync in one
 * transaction), this file is the one to switch.
 */
export class InboxWrites {
  readonly #app: FastifyInstance
  readonly #storage: FinStorage
  readonly #listeners: Array<(write: InboxWrite) => void | Promise<void>> = []

  constructor (app: FastifyInstance, storage: FinStorage) {
    this.#app = app
    this.#storage = storage
  }

  onWrite (listener: (write: InboxWrite) => void | Promise<void>): void {
    this.#listeners.push(listener)
  }

  /**
   * A reply or a private note by `agent`. `key` (the page's Idempotency-Key) is scoped to the agent and the
   * conversation: a retry stores nothing twice, and another agent's same key is another message. A public reply
   * assigns the conversation to the agent who wrote it.
   */
  async reply (conversationId: string, agent: AgentRecord, input: { body: string, visibility: Message['visibility'], key?: string }): Promise<Message> {
    const body = sanitizeFinHtml(input.body)
    if (body.trim() === '') throw new FinEmptyMessageError('body/body holds nothing once sanitized')
    const created = await this.#storage.createMessage(conversationId, {
      ...(input.key === undefined ? {} : { object_id: `inbox:${agent.id}:${conversationId}:${input.key}` }),
      author: { id: agent.id, user_type: 'agent' },
      body,
      visibility: input.visibility,
      attachments: []
    })
    if (created === null) throw new FinConversationNotFoundError(conversationId)
    let conversation = await this.#storage.getConversation(conversationId)
    if (conversation === null) throw new FinConversationNotFoundError(conversationId)
    if (created.created) await this.#emit({ kind: 'message', conversation, message: created.value })
    if (input.visibility === 'public' && conversation.assignee?.id !== agent.id) {
      const updated = await this.#storage.updateConversation(conversationId, { assignee_id: agent.id })
      if (updated !== null) {
        conversation = updated.conversation
        await this.#emit({ kind: 'conversation', conversation, previousAssigneeId: updated.previousAssigneeId })
      }
    }
    await this.sync(conversationId)
    return created.value
  }

  /** Takes the conversation: assigned to the signed-in agent. */
  assign (conversationId: string, agent: AgentRecord): Promise<Conversation> {
    return this.#update(conversationId, { assignee_id: agent.id })
  }

  /** Resolve, or reopen. */
  setStatus (conversationId: string, status: ConversationStatus): Promise<Conversation> {
    return this.#update(conversationId, { status })
  }

  /** Tells Fin the agent is typing (throttled by the plugin); false when notifications are off. */
  async typing (conversationId: string, agent: AgentRecord): Promise<boolean> {
    if (await this.#storage.getConversation(conversationId) === null) throw new FinConversationNotFoundError(conversationId)
    if (this.#app.fin.get().notifier === undefined) return false
    return this.#app.notifyFin.typing(conversationId, agent)
  }

  /**
   * Asks Fin to sync the conversation (also "Retry now" after a failure). If the outbox write fails the answer is
   * 503: the change is stored but Fin was not told, and a retry tells it.
   */
  async sync (conversationId: string): Promise<void> {
    if (this.#app.fin.get().notifier === undefined) return
    try {
      await this.#app.notifyFin(conversationId)
    } catch (err) {
      throw new FinStorageUnavailableError({ cause: err })
    }
    await this.#emit({ kind: 'sync', conversationId })
  }

  async #update (conversationId: string, patch: { assignee_id?: string, status?: ConversationStatus }): Promise<Conversation> {
    const updated = await this.#storage.updateConversation(conversationId, patch)
    if (updated === null) throw new FinConversationNotFoundError(conversationId)
    await this.#emit({ kind: 'conversation', conversation: updated.conversation, previousAssigneeId: updated.previousAssigneeId })
    await this.sync(conversationId)
    return updated.conversation
  }

  async #emit (write: InboxWrite): Promise<void> {
    for (const listener of this.#listeners) {
      try {
        await listener(write)
      } catch (err) {
        // A listener (the live view) never fails a write that is already stored.
        this.#app.log.error({ err }, 'inbox: a write listener failed')
      }
    }
  }
}
