import type { Message } from '../schemas/models.js'
import type { ConversationView, ConversationViewQuery, ViewPosition } from '../storage/views.js'
import { conversationSelect, MESSAGE_COLUMNS, type TableName } from './fragments.js'
import { fromConversationJoin, fromMessageRow, type ConversationJoin, type Decode } from './records.js'

/** How one SQL dialect writes the parts that differ: placeholders, an id list, case-insensitive matching. */
export interface ViewDialect {
  /** The n-th placeholder (1-based): `$n` or `?`. */
  placeholder: (n: number) => string
  /** How the id list is bound. */
  ids: (ids: readonly string[]) => unknown
  /** `c.id` is one of the ids bound at `placeholder`. */
  inIds: (placeholder: string) => string
  /** Case-insensitive LIKE. */
  like: string
  /** Joins the newest message of conversation `v.id` as `m`. */
  lastMessageJoin: (table: TableName) => string
}

export interface ViewSql {
  sql: string
  values: unknown[]
}

const LAST_MESSAGE_COLUMNS = MESSAGE_COLUMNS.split(', ').map((column) => `m.${column} AS m_${column}`).join(', ')

/**
 * One query for a page of a view: the conversations (walking the updated_at index newest first, filtered) in a
 * subquery limited to the page, then each one's newest message by an index seek on (conversation_id, seq).
 */
export function conversationViewSql (table: TableName, dialect: ViewDialect, query: ConversationViewQuery,
  search: string | undefined, after: ViewPosition | null, limit: number): ViewSql {
  const values: unknown[] = []
  // Every use its own placeholder (SQLite's ? is positional).
  const param = (value: unknown): string => {
    values.push(value)
    return dialect.placeholder(values.length)
  }
  const where: string[] = []
  if (query.status !== undefined) where.push(`c.status = ${param(query.status)}`)
  if (query.assigneeId === null) where.push('c.assignee_id IS NULL')
  else if (query.assigneeId !== undefined) where.push(`c.assignee_id = ${param(query.assigneeId)}`)
  if (query.ids !== undefined) where.push(dialect.inIds(param(dialect.ids(query.ids))))
  if (search !== undefined) {
    const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    where.push(`(${['c.title', 'u.name', 'u.email'].map((column) => `${column} ${dialect.like} ${param(pattern)} ESCAPE '\\'`).join(' OR ')})`)
  }
  if (after !== null) {
    where.push(`(c.updated_at < ${param(after.updatedAt)} OR (c.updated_at = ${param(after.updatedAt)} AND c.id < ${param(after.id)}))`)
  }
  const page = `${conversationSelect(table)}
    ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
    ORDER BY c.updated_at DESC, c.id DESC LIMIT ${param(limit + 1)}`
  return {
    sql: `SELECT v.*, ${LAST_MESSAGE_COLUMNS} FROM (${page}) v ${dialect.lastMessageJoin(table)} ORDER BY v.updated_at DESC, v.id DESC`,
    values
  }
}

/** A row of that query: the conversation's columns, and the last message's prefixed with m_ (null without one). */
export type ViewRow = ConversationJoin & {
  m_id: string | null
  m_conversation_id: string
  m_body: string
  m_author: unknown
  m_visibility: Message['visibility']
  m_attachments: unknown
  m_created_at: string
}

export function fromViewRow (row: ViewRow, decode: Decode): ConversationView {
  return {
    conversation: fromConversationJoin(row, decode),
    lastMessage: row.m_id === null
      ? null
      : fromMessageRow({
        id: row.m_id,
        conversation_id: row.m_conversation_id,
        body: row.m_body,
        author: row.m_author,
        visibility: row.m_visibility,
        attachments: row.m_attachments,
        created_at: row.m_created_at
      }, decode)
  }
}
