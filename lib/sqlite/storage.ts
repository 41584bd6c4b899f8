import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3'
import { FinAgentNotFoundError, FinOptionsError, FinUserNotFoundError } from '../errors.js'
import type { Conversation, EndUser, Message } from '../schemas/models.js'
import {
  rowMappers,
  type ConversationJoin, type Decode, type MessageRow, type StoredUserRow
} from '../sql/records.js'
import { newId, toAgent } from '../storage/records.js'
import { assertConversationUser, enqueueNow, mergeWithinLimits, retryOrConflict } from '../storage/rules.js'
import {
  AGENT_COLUMNS, MESSAGE_COLUMNS, USER_COLUMNS, conversationSelect as sqlConversationSelect, upsertAgent as sqlUpsertAgent, type TableName
} from '../sql/fragments.js'
import { GroupCommit } from './group-commit.js'
import { sqliteConversationViews } from './conversation-views.js'
import type { ConversationViewPage, ConversationViewQuery } from '../storage/views.js'
import { migrate, storageMigrations } from './migrations.js'
import type {
  AgentRecord, ConversationPatch, Created, CreatedConversation, FinStorage, NewConversation, NewMessage, NewUser,
  StorageWriteOptions, UpdatedConversation, UserPatch
} from '../storage/types.js'

export interface SqliteStorageOptions {
  /** Path of the database file (its folder is created), or ':memory:'. Either this or `database`. */
  path?: string
  /** An open better-sqlite3 database; it stays open when the storage closes (it is yours). */
  database?: Database
  /** Prefix of the tables, to share a database with the host app. @default 'fin_' */
  tablePrefix?: string
  /** PRAGMA synchronous: NORMAL survives a crash of the process, FULL also a power loss. @default 'NORMAL' */
  synchronous?: 'NORMAL' | 'FULL'
  /** How long a write waits for another process's lock, in ms. @default 5000 */
  busyTimeout?: number
  /** The clock used for created_at and updated_at. @default () => new Date() */
  now?: () => Date
  /**
   * Group commit: the writes of one event-loop turn share one transaction (each in a savepoint; each answered after
   * the commit), instead of one transaction each. @default true
   */
  groupCommit?: boolean
}

export const TABLE_PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,30}$/

/**
 * FinStorage on SQLite (better-sqlite3): the embedded default for a single instance. WAL journal, prepared
 * statements, every write in an IMMEDIATE transaction (so several processes on one file stay consistent),
 * idempotency by unique constraints on object_id, and after_id as a seek on (conversation_id, seq).
 */
export class SqliteStorage implements FinStorage {
  readonly db: Database
  readonly #owned: boolean
  readonly #now: () => Date
  readonly #statements: ReturnType<typeof prepare>
  readonly #writes: GroupCommit | undefined
  readonly #transaction: ReturnType<typeof transactionOf>
  readonly #views: ReturnType<typeof sqliteConversationViews>

  constructor (options: SqliteStorageOptions) {
    const prefix = options.tablePrefix ?? 'fin_'
    if (!TABLE_PREFIX.test(prefix)) throw new FinOptionsError('tablePrefix must be letters, digits and "_"')
    if ((options.path === undefined) === (options.database === undefined)) throw new FinOptionsError('give SqliteStorage a `path` or a `database`')
    if (options.path !== undefined && options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
    this.db = options.database ?? new BetterSqlite3(options.path!)
    this.#owned = options.database === undefined
    this.#now = options.now ?? (() => new Date())
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`)
    this.db.pragma(`busy_timeout = ${options.busyTimeout ?? 5000}`)
    this.db.pragma('foreign_keys = ON')
    migrate(this.db, `${prefix}migrations`, storageMigrations(prefix))
    this.#statements = prepare(this.db, prefix)
    this.#writes = options.groupCommit === false ? undefined : new GroupCommit(this.db)
    this.#transaction = transactionOf(this.db)
    this.#views = sqliteConversationViews(this.db, prefix)
  }

  async getUser (id: string): Promise<EndUser | null> {
    const row = this.#statements.getUser.get(id) as StoredUserRow | undefined
    return row === undefined ? null : toUser(row)
  }

  async createUser (user: NewUser): Promise<Created<EndUser>> {
    return this.#write(() => {
      if (user.object_id !== undefined) {
        const existing = this.#statements.getUserByObjectId.get(user.object_id) as StoredUserRow | undefined
        if (existing !== undefined) return { value: toUser(existing), created: false }
      }
      const id = newId('usr')
      this.#statements.insertUser.run(id, user.object_id ?? null, user.name ?? null, user.email ?? null, user.photo_url ?? null,
        user.attributes === undefined ? '{}' : JSON.stringify(user.attributes))
      return { value: toUser(this.#statements.getUser.get(id) as StoredUserRow), created: true }
    })
  }

  async updateUser (id: string, patch: UserPatch): Promise<EndUser | null> {
    return this.#write(() => this.#patchUser(id, patch))
  }

  async listAgents (): Promise<AgentRecord[]> {
    return this.#statements.listAgents.all() as AgentRecord[]
  }

  async upsertAgent (agent: AgentRecord): Promise<AgentRecord> {
    this.#statements.upsertAgent.run(agent.id, agent.name, agent.email, agent.photo_url ?? null, agent.alias ?? null)
    return { id: agent.id, name: agent.name, email: agent.email, photo_url: agent.photo_url ?? null, alias: agent.alias ?? null }
  }

  async getConversation (id: string): Promise<Conversation | null> {
    const row = this.#statements.getConversation.get(id) as ConversationJoin | undefined
    return row === undefined ? null : toConversation(row)
  }

  async listConversations (options: { limit?: number } = {}): Promise<Conversation[]> {
    return (this.#statements.listConversations.all(options.limit ?? 50) as ConversationJoin[]).map(toConversation)
  }

  async listConversationViews (query: ConversationViewQuery): Promise<ConversationViewPage> {
    return this.#views(query)
  }

  async createConversation (input: NewConversation, options?: StorageWriteOptions): Promise<Created<CreatedConversation>> {
    return this.#write(() => {
      if (this.#statements.getUser.get(input.user_id) === undefined) throw new FinUserNotFoundError(input.user_id)
      if (input.object_id !== undefined) {
        const existing = this.#statements.getConversationByObjectId.get(input.object_id) as ConversationJoin | undefined
        if (existing !== undefined) {
          retryOrConflict(input.object_id, 'conversation', existing.user_id === input.user_id)
          const message = this.#statements.getMessage.get(existing.initial_message_id) as MessageRow
          return { value: { conversation: toConversation(existing), message: toMessage(message) }, created: false }
        }
      }
      const author = this.#author(input.message.author)
      const id = newId('conv')
      const now = this.#now().toISOString()
      const messageId = newId('msg')
      this.#statements.insertConversation.run(id, input.object_id ?? null, input.user_id, input.title,
        JSON.stringify(input.attributes ?? {}), messageId, now, now)
      this.#insertMessage(messageId, id, input.message, author, now)
      enqueueNow(options, this.db)
      return {
        value: {
          conversation: toConversation(this.#statements.getConversation.get(id) as ConversationJoin),
          message: toMessage(this.#statements.getMessage.get(messageId) as MessageRow)
        },
        created: true
      }
    })
  }

  async updateConversation (id: string, patch: ConversationPatch, options?: StorageWriteOptions): Promise<UpdatedConversation | null> {
    return this.#write(() => {
      const row = this.#statements.getConversation.get(id) as ConversationJoin | undefined
      if (row === undefined) return null
      if (patch.assignee_id != null && this.#statements.getAgent.get(patch.assignee_id) === undefined) {
        throw new FinAgentNotFoundError(patch.assignee_id)
      }
      assertConversationUser(patch.user?.id, row.user_id, id)
      const attributes = mergeWithinLimits(parse(row.attributes) as Record<string, unknown>, patch.attributes, patch.attributeLimits, 'conversation')
      this.#statements.updateConversation.run(
        patch.title === undefined ? row.title : patch.title,
        patch.tags === undefined ? row.tags : JSON.stringify(patch.tags),
        attributes === undefined ? row.attributes : JSON.stringify(attributes),
        patch.status ?? row.status,
        patch.assignee_id === undefined ? row.assignee_id : patch.assignee_id,
        this.#now().toISOString(),
        id
      )
      if (patch.last_user_read_at !== undefined) this.#statements.setLastRead.run(patch.last_user_read_at, id)
      // Throws (rolling the whole write back) when the user's merged attributes are over the limits.
      if (patch.user !== undefined) this.#patchUser(row.user_id, { ...patch.user, attributeLimits: patch.attributeLimits })
      enqueueNow(options, this.db)
      return { conversation: toConversation(this.#statements.getConversation.get(id) as ConversationJoin), previousAssigneeId: row.assignee_id }
    })
  }

  async listMessages (conversationId: string, afterId?: string): Promise<Message[] | null> {
    const rows = (afterId === undefined
      ? this.#statements.listMessages.all(conversationId)
      : this.#statements.listMessagesAfter.all(conversationId, afterId, conversationId)) as MessageRow[]
    if (rows.length === 0 && this.#statements.conversationExists.get(conversationId) === undefined) return null
    return rows.map(toMessage)
  }

  async createMessage (conversationId: string, input: NewMessage, options?: StorageWriteOptions): Promise<Created<Message> | null> {
    return this.#write(() => {
      if (this.#statements.conversationExists.get(conversationId) === undefined) return null
      if (input.object_id !== undefined) {
        const existing = this.#statements.getMessageByObjectId.get(input.object_id) as MessageRow | undefined
        if (existing !== undefined) {
          retryOrConflict(input.object_id, 'message', existing.conversation_id === conversationId)
          return { value: toMessage(existing), created: false }
        }
      }
      const author = this.#author(input.author)
      const id = newId('msg')
      const now = this.#now().toISOString()
      // object_id was looked up above, in this transaction: no second lookup; and the answer is what was written.
      const message = this.#insertMessage(id, conversationId, input, author, now, input.object_id ?? null)
      this.#statements.touchConversation.run(now, conversationId)
      enqueueNow(options, this.db)
      return { value: message, created: true }
    })
  }

  async close (): Promise<void> {
    // Writes still queued for a group commit are committed (and answered) first.
    if (this.db.open) this.#writes?.flush()
    if (this.#owned && this.db.open) this.db.close()
  }

  /** SQLite's plan for get_messages (with `after_id` or without): lets operators and tests see it is an index seek. */
  queryPlan (query: 'listMessages' | 'listMessagesAfter'): string[] {
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN ${this.#statements[query].source}`).all('conv', 'msg', 'conv') as Array<{ detail: string }>
    return rows.map((row) => row.detail)
  }

  /**
   * Runs a write as one IMMEDIATE transaction (all or nothing, serialized with other processes), or with group
   * commit, as a savepoint in the transaction of this event-loop turn's writes.
   */
  #write<T> (fn: () => T): Promise<T> {
    if (this.#writes !== undefined) return this.#writes.run(fn)
    return Promise.resolve(this.#transaction.immediate(fn) as T)
  }

  #patchUser (id: string, patch: UserPatch): EndUser | null {
    const row = this.#statements.getUser.get(id) as StoredUserRow | undefined
    if (row === undefined) return null
    const merged = patch.attributes === undefined
      ? undefined
      : mergeWithinLimits(row.attributes === null ? null : parse(row.attributes) as Record<string, unknown>, patch.attributes, patch.attributeLimits, 'user')
    const attributes = merged === undefined ? row.attributes : JSON.stringify(merged)
    this.#statements.updateUser.run(
      patch.name === undefined ? row.name : patch.name,
      patch.email === undefined ? row.email : patch.email,
      patch.photo_url === undefined ? row.photo_url : patch.photo_url,
      attributes,
      id
    )
    return toUser(this.#statements.getUser.get(id) as StoredUserRow)
  }

  #author (ref: NewMessage['author']): Message['author'] {
    if (ref.user_type === 'agent') {
      const agent = this.#statements.getAgent.get(ref.id) as AgentRecord | undefined
      if (agent === undefined) throw new FinAgentNotFoundError(ref.id)
      return toAgent(agent)
    }
    const user = this.#statements.getUser.get(ref.id) as StoredUserRow | undefined
    if (user === undefined) throw new FinUserNotFoundError(ref.id)
    return toUserAuthor(user)
  }

  /** Inserts a message and returns it as get_messages will read it back. `objectId`: when already known to be free. */
  #insertMessage (id: string, conversationId: string, input: NewMessage, author: Message['author'], now: string, objectId?: string | null): Message {
    // An object_id already used by another message keeps pointing at that message (unique constraint).
    objectId ??= input.object_id !== undefined && this.#statements.getMessageByObjectId.get(input.object_id) === undefined
      ? input.object_id
      : null
    const attachments = JSON.stringify(input.attachments)
    const createdAt = input.created_at ?? now
    this.#statements.insertMessage.run(id, objectId, conversationId, input.body, JSON.stringify(author), input.visibility, attachments, createdAt)
    return {
      id,
      conversation_id: conversationId,
      message_type: 'comment',
      body: input.body,
      author,
      visibility: input.visibility,
      created_at: createdAt,
      // As stored (a JSON round trip drops undefined fields); no parse for the usual no-attachment message.
      attachments: input.attachments.length === 0 ? [] : JSON.parse(attachments) as Message['attachments']
    }
  }
}

/** One transaction wrapper for every write, made once (db.transaction() allocates one each time it is called). */
function transactionOf (db: Database) {
  return db.transaction((fn: () => unknown) => fn())
}

function prepare (db: Database, p: string) {
  const table: TableName = (name) => `${p}${name}`
  const conversationSelect = sqlConversationSelect(table)
  const messageColumns = MESSAGE_COLUMNS
  const statements = {
    getUser: `SELECT ${USER_COLUMNS} FROM ${p}users WHERE id = ?`,
    getUserByObjectId: `SELECT ${USER_COLUMNS} FROM ${p}users WHERE object_id = ?`,
    insertUser: `INSERT INTO ${p}users (id, object_id, name, email, photo_url, attributes) VALUES (?, ?, ?, ?, ?, ?)`,
    updateUser: `UPDATE ${p}users SET name = ?, email = ?, photo_url = ?, attributes = ? WHERE id = ?`,
    listAgents: `SELECT ${AGENT_COLUMNS} FROM ${p}agents ORDER BY rowid`,
    getAgent: `SELECT ${AGENT_COLUMNS} FROM ${p}agents WHERE id = ?`,
    upsertAgent: sqlUpsertAgent(table, '?, ?, ?, ?, ?'),
    getConversation: `${conversationSelect} WHERE c.id = ?`,
    getConversationByObjectId: `${conversationSelect} WHERE c.object_id = ?`,
    listConversations: `${conversationSelect} ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?`,
    conversationExists: `SELECT 1 FROM ${p}conversations WHERE id = ?`,
    insertConversation: `INSERT INTO ${p}conversations (id, object_id, user_id, status, title, tags, attributes, initial_message_id, created_at, updated_at)
      VALUES (?, ?, ?, 'open', ?, '[]', ?, ?, ?, ?)`,
    updateConversation: `UPDATE ${p}conversations SET title = ?, tags = ?, attributes = ?, status = ?, assignee_id = ?, updated_at = ? WHERE id = ?`,
    setLastRead: `UPDATE ${p}conversations SET last_user_read_at = ? WHERE id = ?`,
    touchConversation: `UPDATE ${p}conversations SET updated_at = ? WHERE id = ?`,
    getMessage: `SELECT ${messageColumns} FROM ${p}messages WHERE id = ?`,
    getMessageByObjectId: `SELECT ${messageColumns} FROM ${p}messages WHERE object_id = ?`,
    insertMessage: `INSERT INTO ${p}messages (id, object_id, conversation_id, body, author, visibility, attachments, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    listMessages: `SELECT ${messageColumns} FROM ${p}messages WHERE conversation_id = ? ORDER BY seq`,
    // An unknown after_id yields seq > 0: the whole list, as the contract says.
    listMessagesAfter: `SELECT ${messageColumns} FROM ${p}messages
      WHERE conversation_id = ? AND seq > COALESCE((SELECT seq FROM ${p}messages WHERE id = ? AND conversation_id = ?), 0)
      ORDER BY seq`
  }
  return Object.fromEntries(Object.entries(statements).map(([name, sql]) => [name, db.prepare(sql)])) as Record<keyof typeof statements, Statement>
}

const parse: Decode = (value) => JSON.parse(value as string)

const { toUser, toConversation, toMessage, toUserAuthor } = rowMappers(parse)
