import type { Pool } from 'pg'
import { conversationViewSql, fromViewRow, type ViewDialect, type ViewRow } from '../sql/conversation-views.js'
import type { TableName } from '../sql/fragments.js'
import { decodeViewCursor, searchText, toPage, viewLimit, type ConversationViewPage, type ConversationViewQuery } from '../storage/views.js'

const dialect: ViewDialect = {
  placeholder: (n) => `$${n}`,
  ids: (ids) => [...ids],
  inIds: (placeholder) => `c.id = ANY(${placeholder}::text[])`,
  like: 'ILIKE',
  // The newest message: a backward seek on the (conversation_id, seq) index, once per conversation of the page.
  lastMessageJoin: (table) => `LEFT JOIN LATERAL (SELECT * FROM ${table('messages')} lm WHERE lm.conversation_id = v.id ORDER BY lm.seq DESC LIMIT 1) m ON true`
}

/** PostgresStorage's listConversationViews. */
export function postgresConversationViews (pool: Pool, schema: string): (query: ConversationViewQuery) => Promise<ConversationViewPage> {
  const table: TableName = (name) => `${schema}.${name}`
  // node-postgres decodes jsonb columns itself.
  const asIs = (value: unknown): unknown => value
  return async (query) => {
    const limit = viewLimit(query)
    const { sql, values } = conversationViewSql(table, dialect, query, searchText(query), decodeViewCursor(query.cursor), limit)
    const { rows } = await pool.query<ViewRow>(sql, values)
    return toPage(rows.map((row) => fromViewRow(row, asIs)), limit)
  }
}
