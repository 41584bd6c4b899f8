import { FinAgentNotFoundError, FinUserNotFoundError } from '../errors.js'
import type { Conversation, EndUser, Message } from '../schemas/models.js'
import {
  newId, toAgent, toConversation, toEndUser, userAuthor,
  type ConversationRow, type UserRow
} from './records.js'
import { assertConversationUser, enqueueNow, mergeWithinLimits, retryOrConflict } from './rules.js'
import type {
  AgentRecord, ConversationPatch, Created, CreatedConversation, FinStorage, NewConversation, NewMessage, NewUser,
  StorageWriteOptions, UpdatedConversation, UserPatch
} from './types.js'
import { scanConversationViews, type ConversationViewPage, type ConversationViewQuery } from './views.js'

export interface MemoryStorageOptions {
  /** The clock used for created_at and updated_at. @default () => new Date() */
  now?: () => Date
}

interface MessageLog {
  messages: Message[]
  /** message id -> position in `messages`, so after_id is a lookup, not a scan. */
  positions: Map<string, number>
}

/**
 * Keeps everything in this process's memory: for tests and trials. Data is gone on restart, and several instances
 * do not share it. Every method runs without an `await` between its reads and writes, so it is atomic. What it
 * stores is copied and deep-frozen once, on write; reads hand out those frozen values without copying them.
 */
export class MemoryStorage implements FinStorage {
  readonly #now: () => Date
  readonly #users = new Map<string, UserRow>()
  readonly #agents = new Map<string, AgentRecord>()
  readonly #conversations = new Map<string, ConversationRow & { user_id: string, initial_message_id: string }>()
  readonly #logs = new Map<string, MessageLog>()
  readonly #messageIdByObjectId = new Map<string, string>()
  readonly #userIdByObjectId = new Map<string, string>()
  readonly #conversationIdByObjectId = new Map<string, string>()
  readonly #messageConversation = new Map<string, string>()

  constructor (options: MemoryStorageOptions = {}) {
    this.#now = options.now ?? (() => new Date())
  }

  async getUser (id: string): Promise<EndUser | null> {
    const row = this.#users.get(id)
    return row === undefined ? null : toEndUser(row)
  }

  async createUser (user: NewUser): Promise<Created<EndUser>> {
    const existing = user.object_id === undefined ? undefined : this.#userIdByObjectId.get(user.object_id)
    if (existing !== undefined) return { value: toEndUser(this.#users.get(existing)!), created: false }
    const row: UserRow = {
      id: newId('usr'),
      name: user.name ?? null,
      email: user.email ?? null,
      photo_url: user.photo_url ?? null,
      attributes: user.attributes === undefined ? frozen({}) : frozen(user.attributes)
    }
    this.#users.set(row.id, row)
    if (user.object_id !== undefined) this.#userIdByObjectId.set(user.object_id, row.id)
    return { value: toEndUser(row), created: true }
  }

  async updateUser (id: string, patch: UserPatch): Promise<EndUser | null> {
    const row = this.#users.get(id)
    if (row === undefined) return null
    const attributes = mergeWithinLimits(row.attributes, patch.attributes, patch.attributeLimits, 'user')
    applyUserPatch(row, patch, attributes)
    return toEndUser(row)
  }

  async listAgents (): Promise<AgentRecord[]> {
    return [...this.#agents.values()]
  }

  async upsertAgent (agent: AgentRecord): Promise<AgentRecord> {
    const record = frozen(agent)
    this.#agents.set(agent.id, record)
    return record
  }

  async getConversation (id: string): Promise<Conversation | null> {
    const row = this.#conversations.get(id)
    return row === undefined ? null : this.#toConversation(row)
  }

  async listConversations (options: { limit?: number } = {}): Promise<Conversation[]> {
    // Insertion order breaks ties, newest first, like SQLite's rowid.
    return [...this.#conversations.values()].reverse()
      .sort((a, b) => (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0))
      .slice(0, options.limit ?? 50)
      .map((row) => this.#toConversation(row))
  }

  async listConversationViews (query: ConversationViewQuery): Promise<ConversationViewPage> {
    return scanConversationViews(this, query)
  }

  async createConversation (input: NewConversation, options?: StorageWriteOptions): Promise<Created<CreatedConversation>> {
    if (!this.#users.has(input.user_id)) throw new FinUserNotFoundError(input.user_id)
    const existing = input.object_id === undefined ? undefined : this.#conversationIdByObjectId.get(input.object_id)
    if (existing !== undefined) {
      const row = this.#conversations.get(existing)!
      retryOrConflict(input.object_id!, 'conversation', row.user_id === input.user_id)
      const log = this.#logs.get(existing)!
      const message = log.messages[log.positions.get(row.initial_message_id)!]!
      return { value: { conversation: this.#toConversation(row), message }, created: false }
    }
    const id = newId('conv')
    const now = this.#now().toISOString()
    const message = this.#buildMessage(id, input.message, now)
    const row = {
      id,
      status: 'open' as const,
      user_id: input.user_id,
      title: input.title,
      tags: frozen([]),
      attributes: frozen(input.attributes ?? {}),
      assignee_id: null,
      created_at: now,
      updated_at: now,
      initial_message_id: message.id
    }
    const commit = enlist(options)
    this.#conversations.set(id, row)
    this.#logs.set(id, { messages: [], positions: new Map() })
    if (input.object_id !== undefined) this.#conversationIdByObjectId.set(input.object_id, id)
    this.#append(id, message, input.message.object_id)
    commit()
    return { value: { conversation: this.#toConversation(row), message }, created: true }
  }

  async updateConversation (id: string, patch: ConversationPatch, options?: StorageWriteOptions): Promise<UpdatedConversation | null> {
    const row = this.#conversations.get(id)
    if (row === undefined) return null
    // Check every reference before changing anything: all or nothing.
    if (patch.assignee_id != null && !this.#agents.has(patch.assignee_id)) {
      throw new FinAgentNotFoundError(patch.assignee_id)
    }
    assertConversationUser(patch.user?.id, row.user_id, id)
    const attributes = patch.attributes === undefined ? undefined : mergeWithinLimits(row.attributes, patch.attributes, patch.attributeLimits, 'conversation') ?? {}
    const user = this.#users.get(row.user_id)!
    const userAttributes = mergeWithinLimits(user.attributes, patch.user?.attributes, patch.attributeLimits, 'user')
    const commit = enlist(options)
    const previousAssigneeId = row.assignee_id
    if (patch.title !== undefined) row.title = patch.title
    if (patch.tags !== undefined) row.tags = frozen(patch.tags)
    if (attributes !== undefined) row.attributes = frozen(attributes)
    if (patch.status !== undefined) row.status = patch.status
    if (patch.assignee_id !== undefined) row.assignee_id = patch.assignee_id
    if (patch.user !== undefined) applyUserPatch(user, patch.user, userAttributes)
    row.updated_at = this.#now().toISOString()
    commit()
    return { conversation: this.#toConversation(row), previousAssigneeId }
  }

  async listMessages (conversationId: string, afterId?: string): Promise<Message[] | null> {
    const log = this.#logs.get(conversationId)
    if (log === undefined) return null
    const position = afterId === undefined ? undefined : log.positions.get(afterId)
    const from = position === undefined ? 0 : position + 1
    return log.messages.slice(from)
  }

  async createMessage (conversationId: string, input: NewMessage, options?: StorageWriteOptions): Promise<Created<Message> | null> {
    const row = this.#conversations.get(conversationId)
    if (row === undefined) return null
    const existing = input.object_id === undefined ? undefined : this.#messageIdByObjectId.get(input.object_id)
    if (existing !== undefined) {
      retryOrConflict(input.object_id!, 'message', this.#messageConversation.get(existing) === conversationId)
      const log = this.#logs.get(conversationId)!
      return { value: log.messages[log.positions.get(existing)!]!, created: false }
    }
    const now = this.#now().toISOString()
    const message = this.#buildMessage(conversationId, input, now)
    const commit = enlist(options)
    this.#append(conversationId, message, input.object_id)
    row.updated_at = now
    commit()
    return { value: message, created: true }
  }

  async close (): Promise<void> {}

  #buildMessage (conversationId: string, input: NewMessage, now: string): Message {
    return frozen({
      id: newId('msg'),
      conversation_id: conversationId,
      message_type: 'comment',
      body: input.body,
      author: this.#author(input.author),
      visibility: input.visibility,
      created_at: input.created_at ?? now,
      attachments: input.attachments
    })
  }

  #author (ref: NewMessage['author']): Message['author'] {
    if (ref.user_type === 'agent') {
      const agent = this.#agents.get(ref.id)
      if (agent === undefined) throw new FinAgentNotFoundError(ref.id)
      return toAgent(agent)
    }
    const user = this.#users.get(ref.id)
    if (user === undefined) throw new FinUserNotFoundError(ref.id)
    return userAuthor(user)
  }

  #append (conversationId: string, message: Message, objectId: string | undefined): void {
    const log = this.#logs.get(conversationId)!
    log.positions.set(message.id, log.messages.length)
    log.messages.push(message)
    this.#messageConversation.set(message.id, conversationId)
    // An object_id already used by another message keeps pointing at that message.
    if (objectId !== undefined && !this.#messageIdByObjectId.has(objectId)) this.#messageIdByObjectId.set(objectId, message.id)
  }

  #toConversation (row: ConversationRow & { user_id: string }): Conversation {
    const user = toEndUser(this.#users.get(row.user_id)!)
    const agent = row.assignee_id === null ? undefined : this.#agents.get(row.assignee_id)
    return toConversation(row, user, agent === undefined ? undefined : toAgent(agent))
  }
}

/**
 * This write's transaction, after its checks and before its first change: `enqueue` runs now (when it throws,
 * nothing was changed), and what it deferred (a MemoryOutbox's insert) runs at `commit()`, once the changes are made,
 * in the same tick.
 */
function enlist (options: StorageWriteOptions | undefined): () => void {
  if (options?.enqueue === undefined) return noop
  const deferred: Array<() => void> = []
  enqueueNow(options, { afterWrite: (action: () => void) => { deferred.push(action) } })
  return () => { for (const action of deferred) action() }
}

function noop (): void {}

function applyUserPatch (row: UserRow, patch: UserPatch, attributes: Record<string, unknown> | null | undefined): void {
  if (patch.name !== undefined) row.name = patch.name
  if (patch.email !== undefined) row.email = patch.email
  if (patch.photo_url !== undefined) row.photo_url = patch.photo_url
  if (attributes !== undefined) row.attributes = attributes === null ? null : frozen(attributes)
}

/** A deep copy, deep-frozen: stored once, then shared by every read without copying. */
function frozen<T> (value: T): T {
  return deepFreeze(structuredClone(value))
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
