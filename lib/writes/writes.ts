import { FinAgentNotFoundError, FinConversationNotFoundError, FinStorageUnavailableError, FinUserNotFoundError, isClientError } from '../errors.js'
import type { FinEvents } from '../events.js'
import type { FinNotifier, TypingAgent } from '../notify/notifier.js'
import type { Conversation, EndUser, Message } from '../schemas/models.js'
import { checkAttributes, type AttributeLimits } from '../storage/attributes.js'
import type { ConversationPatch, CreatedConversation, FinStorage, NewConversation, StorageWriteOptions } from '../storage/types.js'
import { toNewMessage } from './message-input.js'
import { assertShallow, ConversationWrite, MessageWrite, UserUpdate, UserWrite, validators } from './validate.js'

/** Options of every write API call. */
export interface FinWriteOptions {
  /** Which integration (its `name`), on `fastify.fin`; by default the app's default integration. */
  integration?: string
  /**
   * Tell Fin (a sync in the outbox, in the write's transaction) when this write changes a conversation.
   * The plugin's own routes pass false: a change Fin made is not echoed back to it. @default true
   */
  notifyFin?: boolean
}

/** What one integration's writes work with (the storage is the guarded one: failures are 503s). */
export interface FinWritesParts {
  integration: string
  storage: FinStorage
  events: FinEvents
  notifier: FinNotifier | undefined
  sanitize: (html: string) => string
  attributeLimits: AttributeLimits | undefined
}

/**
 * The one write path of an integration: the Fin routes and the host's own code (`fastify.fin.createMessage()`...)
 * both write through it. Each call validates and sanitizes its input as the routes do (same coded errors),
 * writes, and for a change Fin must hear of enqueues Fin's sync in the same transaction as the change (the storage
 * calls `enqueue` inside its write; see StorageWriteOptions and FinOutbox.requestIn); then it emits the event, the
 * same whoever wrote. `trusted`: the input was already validated by a route's schema (Fin's requests).
 */
export class FinWrites {
  readonly #parts: FinWritesParts
  readonly #trusted: boolean
  readonly #validate = validators()

  constructor (parts: FinWritesParts, options: { trusted: boolean }) {
    this.#parts = parts
    this.#trusted = options.trusted
  }

  async createMessage (conversationId: string, input: MessageWrite, options?: FinWriteOptions): Promise<Message> {
    if (!this.#trusted) {
      this.#validate.id(conversationId, 'conversationId')
      this.#validate.check(MessageWrite, input, 'input')
    }
    const { storage, events, integration, sanitize } = this.#parts
    const message = toNewMessage(input, input.author, sanitize, this.#trusted ? 'body' : 'input')
    const result = await this.#notifying(conversationId, options, (write) => storage.createMessage(conversationId, message, write))
    if (result === null) throw new FinConversationNotFoundError(conversationId)
    if (result.created) events.emit('message.created', { integration, message: result.value })
    return result.value
  }

  /**
   * Fin's create_conversation (the routes'); `input` is already sanitized (toNewMessage) and validated. Fin's own
   * writes are not echoed back to it, and the host's write API has no createConversation: no sync here.
   */
  async createConversation (input: NewConversation): Promise<CreatedConversation> {
    const { storage, events, integration, attributeLimits } = this.#parts
    checkAttributes(input.attributes, attributeLimits, 'conversation')
    const { value, created } = await storage.createConversation(input)
    if (created) {
      events.emit('conversation.created', { integration, conversation: value.conversation, message: value.message })
      events.emit('message.created', { integration, message: value.message })
    }
    return value
  }

  /**
   * Status, assignee, title, tags, attributes (merged), and (POST-only) the end-user. `assignee_id: null` from Fin
   * is its handover (`conversation.handover`); from the host it only unassigns (an agent letting go is no call for
   * a human): the host's handover is `handover()`.
   */
  async updateConversation (conversationId: string, input: ConversationWrite, options?: FinWriteOptions): Promise<Conversation> {
    return this.#update(conversationId, input, options, this.#trusted)
  }

  /** Unassigns the conversation: a human must take over (`conversation.handover`), as when Fin hands over. */
  async handover (conversationId: string, options?: FinWriteOptions): Promise<Conversation> {
    return this.#update(conversationId, { assignee_id: null }, options, true)
  }

  async #update (conversationId: string, input: ConversationWrite, options: FinWriteOptions | undefined, handover: boolean): Promise<Conversation> {
    const field = this.#trusted ? 'body' : 'input'
    if (!this.#trusted) {
      this.#validate.id(conversationId, 'conversationId')
      this.#validate.check(ConversationWrite, input, 'input')
    }
    const { storage, events, integration, attributeLimits } = this.#parts
    // Sizes before the work: a patch over the limits on its own is over them once merged (issue #20, item 5).
    precheck(input.attributes, attributeLimits, 'conversation')
    precheck(input.user?.attributes, attributeLimits, 'user')
    assertShallow(input.attributes, `${field}/attributes`)
    assertShallow(input.user?.attributes, `${field}/user/attributes`)
    const patch: ConversationPatch = { attributeLimits }
    if (input.title !== undefined) patch.title = input.title
    if (input.tags !== undefined) patch.tags = input.tags
    if (input.attributes !== undefined) patch.attributes = input.attributes
    if (input.status !== undefined) patch.status = input.status
    if (input.assignee_id !== undefined) patch.assignee_id = input.assignee_id
    if (input.last_user_read_at !== undefined) patch.last_user_read_at = input.last_user_read_at
    if (input.user !== undefined) {
      const { id, name, email, photo_url: photoUrl, attributes } = input.user
      patch.user = { id, name, email, photo_url: photoUrl, attributes }
    }
    const updated = await this.#notifying(conversationId, options, (write) => storage.updateConversation(conversationId, patch, write))
    if (updated === null) throw new FinConversationNotFoundError(conversationId)
    const { conversation, previousAssigneeId } = updated
    events.emit('conversation.updated', { integration, conversation })
    if (patch.user !== undefined) events.emit('user.updated', { integration, user: conversation.user })
    if (handover && patch.assignee_id === null) {
      events.emit('conversation.handover', { integration, conversation, previous_assignee_id: previousAssigneeId })
    }
    return conversation
  }

  /** Users are not conversations: Fin's webhook names a conversation, so a user write enqueues no sync. */
  async createUser (input: UserWrite, _options?: FinWriteOptions): Promise<EndUser> {
    if (!this.#trusted) this.#validate.check(UserWrite, input, 'input')
    const { storage, events, integration } = this.#parts
    const { value, created } = await storage.createUser({ object_id: input.object_id, name: input.name, email: input.email })
    if (created) events.emit('user.created', { integration, user: value })
    return value
  }

  /** Attributes are merged key by key into the stored ones, within `attributeLimits`. */
  async updateUser (userId: string, input: UserUpdate, _options?: FinWriteOptions): Promise<EndUser> {
    const field = this.#trusted ? 'body' : 'input'
    if (!this.#trusted) {
      this.#validate.id(userId, 'userId')
      this.#validate.check(UserUpdate, input, 'input')
    }
    const { storage, events, integration, attributeLimits } = this.#parts
    precheck(input.attributes, attributeLimits, 'user')
    assertShallow(input.attributes, `${field}/attributes`)
    const user = await storage.updateUser(userId, { attributes: input.attributes, attributeLimits })
    if (user === null) throw new FinUserNotFoundError(userId)
    events.emit('user.updated', { integration, user })
    return user
  }

  /**
   * "Agent is typing" in the Fin Messenger, for an existing conversation and agent (an id, looked up, or the
   * agent's fields). Resolves false when throttled, or when this integration does not notify Fin.
   */
  async typing (conversationId: string, agent: string | TypingAgent, options?: FinWriteOptions): Promise<boolean> {
    this.#validate.id(conversationId, 'conversationId')
    const { storage, notifier } = this.#parts
    if (await storage.getConversation(conversationId) === null) throw new FinConversationNotFoundError(conversationId)
    let typist: TypingAgent
    if (typeof agent === 'string') {
      const found = (await storage.listAgents()).find((a) => a.id === agent)
      if (found === undefined) throw new FinAgentNotFoundError(agent)
      typist = found
    } else {
      typist = agent
    }
    if (notifier === undefined || !this.#notifies(options)) return false
    return notifier.typing(conversationId, typist)
  }

  #notifies (options: FinWriteOptions | undefined): boolean {
    return this.#parts.notifier !== undefined && (options?.notifyFin ?? !this.#trusted)
  }

  /**
   * Runs a storage write with Fin's sync enqueued inside its transaction, when the outbox can join it. Otherwise
   * (an outbox on another database, a storage that does not call `enqueue`, an idempotent repeat) the sync is
   * enqueued after the write: at least once, never lost silently (a failure there is a 503 the client retries).
   */
  async #notifying<T> (conversationId: string, options: FinWriteOptions | undefined, write: (options: StorageWriteOptions | undefined) => Promise<T | null>): Promise<T | null> {
    const notifier = this.#parts.notifier
    if (notifier === undefined || !this.#notifies(options)) return write(undefined)
    let enqueued = false
    const result = await write({
      enqueue: (transaction) => {
        if (!notifier.joins(transaction)) return
        enqueued = true
        return notifier.syncIn(transaction, conversationId)
      }
    })
    if (result !== null) {
      if (enqueued) notifier.queued(conversationId)
      else await this.#sync(conversationId)
    }
    return result
  }

  async #sync (conversationId: string): Promise<void> {
    try {
      await this.#parts.notifier!.sync(conversationId)
    } catch (err) {
      if (isClientError(err)) throw err
      throw new FinStorageUnavailableError({ cause: err })
    }
  }
}

/** Refuses attributes over the limits on their own, before any merge, depth walk or storage work. */
function precheck (attributes: Record<string, unknown> | null | undefined, limits: AttributeLimits | undefined, owner: 'user' | 'conversation'): void {
  if (limits === undefined || attributes === null || attributes === undefined) return
  // The merged value holds every key and value of the patch: a patch over the key limit alone is over it merged.
  let keys = 0
  for (const key in attributes) if (Object.hasOwn(attributes, key) && ++keys > limits.maxKeys) break
  if (keys > limits.maxKeys) checkAttributes(attributes, { maxKeys: limits.maxKeys, maxBytes: Infinity }, owner)
}
