import type { AttributeLimits } from './attributes.js'
import type { ConversationViewPage, ConversationViewQuery } from './views.js'
import type { AttachmentInput, Conversation, ConversationStatus, EndUser, Message, MessageVisibility } from '../schemas/models.js'

/**
 * An agent as the helpdesk keeps it. Name and email are required because the POST-only get_agents requires them.
 */
export interface AgentRecord {
  id: string
  name: string
  email: string
  photo_url?: string | null
  alias?: string | null
}

/** A user as created by Fin (create_user) or by the host. */
export interface NewUser {
  /** Intercom's id for the user: the idempotency key. */
  object_id?: string
  name?: string | null
  email?: string | null
  photo_url?: string | null
  attributes?: Record<string, unknown> | null
}

/** Changes to an end-user. Attributes are merged key by key into the stored ones. */
export interface UserPatch {
  name?: string | null
  email?: string | null
  photo_url?: string | null
  attributes?: Record<string, unknown> | null
  /** Bounds on the merged attributes: over them, FinAttributesTooLargeError and nothing written (checkAttributes). */
  attributeLimits?: AttributeLimits
}

/** A message to create. `body` is already sanitized; "" for an attachment-only message. */
export interface NewMessage {
  object_id?: string
  author: { id: string, user_type: 'end_user' | 'agent' }
  body: string
  visibility: MessageVisibility
  /** ISO 8601; when absent the storage uses the current time. */
  created_at?: string
  attachments: AttachmentInput[]
}

export interface NewConversation {
  object_id?: string
  user_id: string
  title: string | null
  attributes: Record<string, unknown> | null
  message: NewMessage
}

/**
 * Changes to a conversation: only the fields present change. `assignee_id: null` unassigns (Fin's handover).
 * `user` changes the conversation's end-user in the same write (POST-only update_conversation).
 */
export interface ConversationPatch {
  title?: string | null
  tags?: string[]
  attributes?: Record<string, unknown>
  status?: ConversationStatus
  assignee_id?: string | null
  last_user_read_at?: string | null
  user?: Omit<UserPatch, 'attributeLimits'> & { id: string }
  /** Bounds on the merged attributes, the conversation's and the user's: over them, FinAttributesTooLargeError. */
  attributeLimits?: AttributeLimits
}

/**
 * What a write takes besides its data. `enqueue` is how a change and Fin's notification of it commit together
 * (the transactional outbox): the storage calls it once, inside the write's transaction, after the checks and only
 * when the write changes something (not for an idempotent repeat), with its transaction: the better-sqlite3
 * Database (SQLite: called synchronously; a returned promise is refused), the `pg` client inside BEGIN
 * (PostgreSQL: awaited), or a MemoryTransaction (memory). When it throws, the write is rolled back and rejects
 * with its error. A storage that does not call it still works: the plugin then enqueues after the write.
 */
export interface StorageWriteOptions {
  enqueue?: (transaction: unknown) => void | Promise<void>
}

/** What a create returns: the object, and whether this call made it (false: an earlier call with the same object_id did). */
export interface Created<T> {
  value: T
  created: boolean
}

export interface CreatedConversation {
  conversation: Conversation
  message: Message
}

export interface UpdatedConversation {
  conversation: Conversation
  /** Who was assigned before this update: lets listeners tell a real handover from a repeated one. */
  previousAssigneeId: string | null
}

/**
 * Where the plugin keeps users, agents, conversations and messages. One async method per Fin operation.
 *
 * The contract (docs/storage.md; `testFinStorage` from `fastify-fin-helpdesk/testing` proves it):
 * - Not found: a method that reads or changes one object returns `null` when that object does not exist.
 *   A create or update that *refers* to a missing object throws the matching error from `fastify-fin-helpdesk`
 *   (FinUserNotFoundError, FinConversationNotFoundError, FinAgentNotFoundError, FinUserMismatchError) and writes
 *   nothing.
 * - Idempotency: a create with an `object_id` seen before returns the first object with `created: false` and
 *   writes nothing, also when the calls are concurrent. object_ids are unique per kind of object. A repeat is one
 *   only under the same parent (conversation of a message, user of a conversation), checked after the parent
 *   exists; otherwise FinObjectIdConflictError (409), nothing written.
 * - Atomicity: every method writes all of its changes or none, and `options.enqueue` (StorageWriteOptions) with them.
 * - Ordering: messages are listed in the order they were created; `afterId` lists only the messages created after
 *   that message; an unknown `afterId` lists them all.
 * - Any other failure is thrown as is: the plugin answers 503 and logs it.
 */
export interface FinStorage {
  getUser (id: string): Promise<EndUser | null>
  createUser (user: NewUser): Promise<Created<EndUser>>
  updateUser (id: string, patch: UserPatch): Promise<EndUser | null>
  listAgents (): Promise<AgentRecord[]>
  /** Adds or replaces an agent: how the host app keeps the agent list (get_agents) current. */
  upsertAgent (agent: AgentRecord): Promise<AgentRecord>
  getConversation (id: string): Promise<Conversation | null>
  /** The most recently updated first, at most `limit` (default 50): for the host's own views, e.g. an agent console. */
  listConversations (options?: { limit?: number }): Promise<Conversation[]>
  /**
   * A filtered page of conversations, newest change first, each with its last message: for the host's views (an
   * agent inbox). Optional: the plugin never calls it; `scanConversationViews` answers it from the other methods.
   */
  listConversationViews? (query: ConversationViewQuery): Promise<ConversationViewPage>
  /** Throws FinUserNotFoundError for an unknown user, FinAgentNotFoundError for an unknown agent author. */
  createConversation (conversation: NewConversation, options?: StorageWriteOptions): Promise<Created<CreatedConversation>>
  /** Throws FinAgentNotFoundError for an unknown assignee, FinUserMismatchError for another conversation's user. */
  updateConversation (id: string, patch: ConversationPatch, options?: StorageWriteOptions): Promise<UpdatedConversation | null>
  /** `null` when the conversation does not exist. */
  listMessages (conversationId: string, afterId?: string): Promise<Message[] | null>
  /** `null` when the conversation does not exist; throws FinUserNotFoundError or FinAgentNotFoundError for the author. */
  createMessage (conversationId: string, message: NewMessage, options?: StorageWriteOptions): Promise<Created<Message> | null>
  /** Releases what the storage holds. The plugin calls it on close only for a storage it created itself. */
  close? (): Promise<void>
}
