import pg, { type Pool, type PoolClient } from 'pg'
import { FinAgentNotFoundError, FinOptionsError, FinUserNotFoundError } from '../errors.js'
import type { Conversation, EndUser, Message } from '../schemas/models.js'
import {
  rowMappers,
  type ConversationJoin, type Decode, type MessageRow, type StoredUserRow
} from '../sql/records.js'
import { newId, toAgent } from '../storage/records.js'
import { assertConversationUser, objectIdConflict } from '../storage/rules.js'
import {
  AGENT_COLUMNS, MESSAGE_COLUMNS, USER_COLUMNS, conversationSelect as sqlConversationSelect, upsertAgent as sqlUpsertAgent, type TableName
} from '../sql/fragments.js'
import { migratePostgres, SCHEMA_NAME, STORAGE_TRACK, transaction } from './migrations.js'
import { checkAttributes } from '../storage/attributes.js'
import { postgresConversationViews } from './conversation-views.js'
import type { ConversationViewPage, ConversationViewQuery } from '../storage/views.js'
import type {
  AgentRecord, ConversationPatch, Created, CreatedConversation, FinStorage, NewConversation, NewMessage, NewUser,
  StorageWriteOptions, UpdatedConversation, UserPatch
} from '../storage/types.js'

export interface PostgresStorageOptions {
  /** A node-postgres pool; it stays open when the storage closes (it is yours). Or `connectionString`. */
  pool?: Pool
  /** e.g. postgres://user@host:5432/db: the storage then makes its own pool, and closes it. */
  connectionString?: string
  /** The schema that holds the tables (created if missing). @default 'fin' */
  schema?: string
  /** The clock used for created_at and updated_at. @default () => new Date() */
  now?: () => Date
}

/**
 * FinStorage on PostgreSQL (node-postgres), for several instances on one database: idempotent creates by unique
 * constraints (ON CONFLICT), which hold when one object_id reaches two instances at once; every write in one
 * transaction; a conversation's messages are written under a lock on its row, so their seq order is their commit
 * order and after_id (an index seek on (conversation_id, seq)) never skips a message committed late.
 */
export class PostgresStorage implements FinStorage {
  readonly pool: Pool
  readonly schema: string
  readonly #owned: boolean
  readonly #now: () => Date
  readonly #ready: Promise<void>
  readonly #queries: ReturnType<typeof queries>
  readonly #views: ReturnType<typeof postgresConversationViews>

  constructor (options: PostgresStorageOptions) {
    this.schema = options.schema ?? 'fin'
    if (!SCHEMA_NAME.test(this.schema)) throw new FinOptionsError('schema must be lowercase letters, digits and "_"')
    if ((options.pool === undefined) === (options.connectionString === undefined)) throw new FinOptionsError('give PostgresStorage a `pool` or a `connectionString`')
    this.pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString })
    this.#owned = options.pool === undefined
    this.#now = options.now ?? (() => new Date())
    this.#queries = queries(`"${this.schema}"`)
    this.#views = postgresConversationViews(this.pool, `"${this.schema}"`)
    this.#ready = migratePostgres(this.pool, this.schema, STORAGE_TRACK)
    // Reported by the first call that awaits it; never an unhandled rejection.
    this.#ready.catch(() => {})
  }

  /** Resolves once the schema is migrated; rejects if the database cannot be reached. */
  ready (): Promise<void> {
    return this.#ready
  }

  async getUser (id: string): Promise<EndUser | null> {
    await this.#ready
    const { rows } = await this.pool.query<StoredUserRow>(this.#queries.getUser, [id])
    return rows[0] === undefined ? null : toUser(rows[0])
  }

  async createUser (user: NewUser): Promise<Created<EndUser>> {
    await this.#ready
    const { rows } = await this.pool.query<StoredUserRow>(this.#queries.insertUser, [
      newId('usr'), user.object_id ?? null, user.name ?? null, user.email ?? null, user.photo_url ?? null,
      user.attributes === undefined ? {} : user.attributes
    ])
    if (rows[0] !== undefined) return { value: toUser(rows[0]), created: true }
    // The object_id was taken (perhaps a moment ago, by another instance): answer that user.
    const existing = await this.pool.query<StoredUserRow>(this.#queries.getUserByObjectId, [user.object_id])
    return { value: toUser(existing.rows[0]!), created: false }
  }

  async updateUser (id: string, patch: UserPatch): Promise<EndUser | null> {
    await this.#ready
    return this.#tx((client) => this.#patchUser(client, id, patch))
  }

  async listAgents (): Promise<AgentRecord[]> {
    await this.#ready
    return (await this.pool.query<AgentRecord>(this.#queries.listAgents)).rows
  }

  async upsertAgent (agent: AgentRecord): Promise<AgentRecord> {
    await this.#ready
    await this.pool.query(this.#queries.upsertAgent, [agent.id, agent.name, agent.email, agent.photo_url ?? null, agent.alias ?? null])
    return { id: agent.id, name: agent.name, email: agent.email, photo_url: agent.photo_url ?? null, alias: agent.alias ?? null }
  }

  async getConversation (id: string): Promise<Conversation | null> {
    await this.#ready
    const { rows } = await this.pool.query<ConversationJoin>(this.#queries.getConversation, [id])
    return rows[0] === undefined ? null : toConversation(rows[0])
  }

  async listConversations (options: { limit?: number } = {}): Promise<Conversation[]> {
    await this.#ready
    return (await this.pool.query<ConversationJoin>(this.#queries.listConversations, [options.limit ?? 50])).rows.map(toConversation)
  }

  async listConversationViews (query: ConversationViewQuery): Promise<ConversationViewPage> {
    await this.#ready
    return this.#views(query)
  }

  async createConversation (input: NewConversation, options?: StorageWriteOptions): Promise<Created<CreatedConversation>> {
    await this.#ready
    const existing = input.object_id === undefined ? undefined : await this.#existingConversation(this.pool, input.object_id)
    if (existing !== undefined) return this.#retriedConversation(existing, input)
    const created = await this.#tx(async (client) => {
      if ((await client.query(this.#queries.getUser, [input.user_id])).rows.length === 0) throw new FinUserNotFoundError(input.user_id)
      const author = await this.#author(client, input.message.author)
      const id = newId('conv')
      const messageId = newId('msg')
      const now = this.#now().toISOString()
      const inserted = await client.query(this.#queries.insertConversation, [id, input.object_id ?? null, input.user_id, input.title, input.attributes ?? {}, messageId, now])
      if (inserted.rowCount === 0) return undefined // the object_id was taken meanwhile
      await this.#insertMessage(client, messageId, id, input.message, author, now)
      await options?.enqueue?.(client)
      return id
    })
    if (created === undefined) return this.#retriedConversation((await this.#existingConversation(this.pool, input.object_id!))!, input)
    return { value: (await this.#existingConversation(this.pool, undefined, created))!, created: true }
  }

  async updateConversation (id: string, patch: ConversationPatch, options?: StorageWriteOptions): Promise<UpdatedConversation | null> {
    await this.#ready
    const previous = await this.#tx(async (client) => {
      const { rows } = await client.query<{ user_id: string, assignee_id: string | null }>(this.#queries.lockConversation, [id])
      const row = rows[0]
      if (row === undefined) return undefined
      if (patch.assignee_id != null && (await client.query(this.#queries.getAgent, [patch.assignee_id])).rows.length === 0) {
        throw new FinAgentNotFoundError(patch.assignee_id)
      }
      assertConversationUser(patch.user?.id, row.user_id, id)
      const updated = await client.query<{ attributes: Record<string, unknown> }>(this.#queries.updateConversation, [
        id,
        patch.title !== undefined, patch.title ?? null,
        patch.tags === undefined ? null : JSON.stringify(patch.tags),
        patch.attributes === undefined ? null : patch.attributes,
        patch.status ?? null,
        patch.assignee_id !== undefined, patch.assignee_id ?? null,
        patch.last_user_read_at !== undefined, patch.last_user_read_at ?? null,
        this.#now().toISOString()
      ])
      // Checked on the merged value the database computed: throwing rolls the whole write back.
      if (patch.attributes !== undefined) checkAttributes(updated.rows[0]!.attributes, patch.attributeLimits, 'conversation')
      if (patch.user !== undefined) await this.#patchUser(client, row.user_id, { ...patch.user, attributeLimits: patch.attributeLimits })
      await options?.enqueue?.(client)
      return row.assignee_id
    })
    if (previous === undefined) return null
    return { conversation: (await this.getConversation(id))!, previousAssigneeId: previous }
  }

  async listMessages (conversationId: string, afterId?: string): Promise<Message[] | null> {
    await this.#ready
    const { rows } = afterId === undefined
      ? await this.pool.query<MessageRow>(this.#queries.listMessages, [conversationId])
      : await this.pool.query<MessageRow>(this.#queries.listMessagesAfter, [conversationId, afterId])
    if (rows.length === 0 && (await this.pool.query(this.#queries.conversationExists, [conversationId])).rows.length === 0) return null
    return rows.map(toMessage)
  }

  async createMessage (conversationId: string, input: NewMessage, options?: StorageWriteOptions): Promise<Created<Message> | null> {
    await this.#ready
    if (input.object_id !== undefined) {
      const existing = await this.pool.query<MessageRow>(this.#queries.getMessageByObjectId, [input.object_id])
      if (existing.rows[0] !== undefined) return this.#retriedMessage(existing.rows[0], conversationId, input.object_id)
    }
    const result = await this.#tx(async (client) => {
      const now = this.#now().toISOString()
      // Lock the conversation first: its messages then commit in seq order (and it must exist).
      if ((await client.query(this.#queries.touchConversation, [conversationId, now])).rowCount === 0) return null
      const author = await this.#author(client, input.author)
      const id = newId('msg')
      const row = await this.#insertMessage(client, id, conversationId, input, author, now, true)
      if (row === undefined) throw new ObjectIdTaken() // rolls back the touch
      await options?.enqueue?.(client)
      return row
    }).catch((err: unknown) => {
      if (err instanceof ObjectIdTaken) return undefined
      throw err
    })
    if (result === null) return null
    if (result === undefined) {
      const existing = await this.pool.query<MessageRow>(this.#queries.getMessageByObjectId, [input.object_id])
      return this.#retriedMessage(existing.rows[0]!, conversationId, input.object_id!)
    }
    return { value: toMessage(result), created: true }
  }

  async close (): Promise<void> {
    await this.#ready.catch(() => {})
    if (this.#owned) await this.pool.end()
  }

  /** PostgreSQL's plan for get_messages with after_id on this conversation: shows it is an index seek. */
  async queryPlan (conversationId: string, afterId: string): Promise<string[]> {
    await this.#ready
    const { rows } = await this.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${this.#queries.listMessagesAfter}`, [conversationId, afterId])
    return rows.map((row) => row['QUERY PLAN'])
  }

  /** One READ COMMITTED transaction: row locks and unique constraints carry the guarantees. */
  #tx<T> (fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return transaction(this.pool, fn)
  }

  /** The first conversation with this object_id, if this call is its retry: same user (checked to exist first). */
  async #retriedConversation (existing: CreatedConversation, input: NewConversation): Promise<Created<CreatedConversation>> {
    if (existing.conversation.user.id === input.user_id) return { value: existing, created: false }
    if ((await this.pool.query(this.#queries.getUser, [input.user_id])).rows.length === 0) throw new FinUserNotFoundError(input.user_id)
    throw objectIdConflict(input.object_id!, 'conversation')
  }

  /** The first message with this object_id, if this call is its retry: same conversation (checked to exist first). */
  async #retriedMessage (existing: MessageRow, conversationId: string, objectId: string): Promise<Created<Message> | null> {
    if (existing.conversation_id === conversationId) return { value: toMessage(existing), created: false }
    if ((await this.pool.query(this.#queries.conversationExists, [conversationId])).rows.length === 0) return null
    throw objectIdConflict(objectId, 'message')
  }

  async #existingConversation (db: Pool | PoolClient, objectId?: string, id?: string): Promise<CreatedConversation | undefined> {
    const { rows } = objectId !== undefined
      ? await db.query<ConversationJoin>(this.#queries.getConversationByObjectId, [objectId])
      : await db.query<ConversationJoin>(this.#queries.getConversation, [id])
    const row = rows[0]
    if (row === undefined) return undefined
    const message = await db.query<MessageRow>(this.#queries.getMessage, [row.initial_message_id])
    return { conversation: toConversation(row), message: toMessage(message.rows[0]!) }
  }

  async #patchUser (client: PoolClient, id: string, patch: UserPatch): Promise<EndUser | null> {
    const { rows } = await client.query<StoredUserRow>(this.#queries.updateUser, [
      id,
      patch.name !== undefined, patch.name ?? null,
      patch.email !== undefined, patch.email ?? null,
      patch.photo_url !== undefined, patch.photo_url ?? null,
      patch.attributes !== undefined, patch.attributes === undefined ? null : patch.attributes === null ? null : JSON.stringify(patch.attributes)
    ])
    if (rows[0] === undefined) return null
    // Checked on the merged value the database computed, inside the transaction: throwing rolls it back.
    if (patch.attributes !== undefined) checkAttributes(rows[0].attributes as Record<string, unknown> | null, patch.attributeLimits, 'user')
    return toUser(rows[0])
  }

  async #author (client: PoolClient, ref: NewMessage['author']): Promise<Message['author']> {
    if (ref.user_type === 'agent') {
      const { rows } = await client.query<AgentRecord>(this.#queries.getAgent, [ref.id])
      if (rows[0] === undefined) throw new FinAgentNotFoundError(ref.id)
      return toAgent(rows[0])
    }
    const { rows } = await client.query<StoredUserRow>(this.#queries.getUser, [ref.id])
    if (rows[0] === undefined) throw new FinUserNotFoundError(ref.id)
    return toUserAuthor(rows[0])
  }

  /** Inserts a message; with `strict`, answers undefined when its object_id is taken, else drops the taken object_id. */
  async #insertMessage (client: PoolClient, id: string, conversationId: string, input: NewMessage, author: Message['author'], now: string, strict = false): Promise<MessageRow | undefined> {
    const values = [id, input.object_id ?? null, conversationId, input.body, author, input.visibility, JSON.stringify(input.attachments), input.created_at ?? now]
    const { rows } = await client.query<MessageRow>(this.#queries.insertMessage, values)
    if (rows[0] !== undefined || strict) return rows[0]
    // An initial message whose object_id another message has: that id keeps pointing at the earlier message.
    values[1] = null
    return (await client.query<MessageRow>(this.#queries.insertMessage, values)).rows[0]
  }
}

class ObjectIdTaken extends Error {}

function queries (s: string) {
  const table: TableName = (name) => `${s}.${name}`
  const conversationSelect = sqlConversationSelect(table)
  const messageColumns = MESSAGE_COLUMNS
  return {
    getUser: `SELECT ${USER_COLUMNS} FROM ${s}.users WHERE id = $1`,
    getUserByObjectId: `SELECT ${USER_COLUMNS} FROM ${s}.users WHERE object_id = $1`,
    insertUser: `INSERT INTO ${s}.users (id, object_id, name, email, photo_url, attributes) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (object_id) DO NOTHING RETURNING ${USER_COLUMNS}`,
    // Shallow merge of attributes (jsonb ||), as the storage contract says; each field only when given.
    updateUser: `UPDATE ${s}.users SET
        name = CASE WHEN $2 THEN $3 ELSE name END,
        email = CASE WHEN $4 THEN $5 ELSE email END,
        photo_url = CASE WHEN $6 THEN $7 ELSE photo_url END,
        attributes = CASE WHEN NOT $8 THEN attributes WHEN $9::jsonb IS NULL THEN NULL ELSE COALESCE(attributes, '{}'::jsonb) || $9::jsonb END
      WHERE id = $1 RETURNING ${USER_COLUMNS}`,
    listAgents: `SELECT ${AGENT_COLUMNS} FROM ${s}.agents ORDER BY seq`,
    getAgent: `SELECT ${AGENT_COLUMNS} FROM ${s}.agents WHERE id = $1`,
    upsertAgent: sqlUpsertAgent(table, '$1, $2, $3, $4, $5'),
    getConversation: `${conversationSelect} WHERE c.id = $1`,
    getConversationByObjectId: `${conversationSelect} WHERE c.object_id = $1`,
    listConversations: `${conversationSelect} ORDER BY c.updated_at DESC, c.seq DESC LIMIT $1`,
    conversationExists: `SELECT 1 FROM ${s}.conversations WHERE id = $1`,
    lockConversation: `SELECT user_id, assignee_id FROM ${s}.conversations WHERE id = $1 FOR UPDATE`,
    insertConversation: `INSERT INTO ${s}.conversations (id, object_id, user_id, status, title, tags, attributes, initial_message_id, created_at, updated_at)
      VALUES ($1, $2, $3, 'open', $4, '[]', $5, $6, $7, $7) ON CONFLICT (object_id) DO NOTHING`,
    updateConversation: `UPDATE ${s}.conversations SET
        title = CASE WHEN $2 THEN $3 ELSE title END,
        tags = COALESCE($4::jsonb, tags),
        attributes = CASE WHEN $5::jsonb IS NULL THEN attributes ELSE attributes || $5::jsonb END,
        status = COALESCE($6, status),
        assignee_id = CASE WHEN $7 THEN $8 ELSE assignee_id END,
        last_user_read_at = CASE WHEN $9 THEN $10 ELSE last_user_read_at END,
        updated_at = $11
      WHERE id = $1 RETURNING attributes`,
    touchConversation: `UPDATE ${s}.conversations SET updated_at = $2 WHERE id = $1`,
    getMessage: `SELECT ${messageColumns} FROM ${s}.messages WHERE id = $1`,
    getMessageByObjectId: `SELECT ${messageColumns} FROM ${s}.messages WHERE object_id = $1`,
    insertMessage: `INSERT INTO ${s}.messages (id, object_id, conversation_id, body, author, visibility, attachments, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (object_id) DO NOTHING RETURNING ${messageColumns}`,
    listMessages: `SELECT ${messageColumns} FROM ${s}.messages WHERE conversation_id = $1 ORDER BY seq`,
    // An unknown after_id yields seq > 0: the whole list, as the contract says. The planner seeks on
    // (conversation_id, seq), or on seq alone when this conversation holds most of the table.
    listMessagesAfter: `SELECT ${messageColumns} FROM ${s}.messages
      WHERE conversation_id = $1 AND seq > COALESCE((SELECT seq FROM ${s}.messages WHERE id = $2 AND conversation_id = $1), 0)
      ORDER BY seq`
  }
}

// node-postgres decodes jsonb columns itself.
const asIs: Decode = (value) => value

const { toUser, toConversation, toMessage, toUserAuthor } = rowMappers(asIs)
