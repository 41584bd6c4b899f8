import type { Database, Statement } from 'better-sqlite3'
import { conversationViewSql, fromViewRow, type ViewDialect, type ViewRow } from '../sql/conversation-views.js'
import type { TableName } from '../sql/fragments.js'
import { decodeViewCursor, searchText, toPage, viewLimit, type ConversationViewPage, type ConversationViewQuery } from '../storage/views.js'

const dialect: ViewDialect = {
  placeholder: () => '?',
  ids: (ids) => JSON.stringify(ids),
  inIds: (placeholder) => `c.id IN (SELECT value FROM json_each(${placeholder}))`,
  // SQLite's LIKE ignores ASCII case.
  like: 'LIKE',
  // MAX(seq) of one conversation is a seek on the (conversation_id, seq) index.
  lastMessageJoin: (table) => `LEFT JOIN ${table('messages')} m ON m.seq = (SELECT MAX(seq) FROM ${table('messages')} WHERE conversation_id = v.id)`
}

/** SqliteStorage's listConversationViews: one statement per shape of query, prepared once. */
export function sqliteConversationViews (db: Database, prefix: string): (query: ConversationViewQuery) => ConversationViewPage {
  const table: TableName = (name) => `${prefix}${name}`
  const statements = new Map<string, Statement>()
  const parse = (value: unknown): unknown => JSON.parse(value as string)
  return (query) => {
    const limit = viewLimit(query)
    const { sql, values } = conversationViewSql(table, dialect, query, searchText(query), decodeViewCursor(query.cursor), limit)
    let statement = statements.get(sql)
    if (statement === undefined) statements.set(sql, statement = db.prepare(sql))
    const rows = statement.all(...values) as ViewRow[]
    return toPage(rows.map((row) => fromViewRow(row, parse)), limit)
  }
}

/** SQLite's plan for one view query: lets operators and tests see it walks indexes, never the messages table. */
export function conversationViewPlan (db: Database, prefix: string, query: ConversationViewQuery): string[] {
  const table: TableName = (name) => `${prefix}${name}`
  const { sql, values } = conversationViewSql(table, dialect, query, searchText(query), decodeViewCursor(query.cursor), viewLimit(query))
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...values) as Array<{ detail: string }>).map((row) => row.detail)
}
