// SQL that both adapters write alike. Table names differ (a schema in PostgreSQL, a prefix in SQLite), so each
// adapter passes how it names a table; placeholders differ ($1 or ?), so only placeholder-free text lives here.

export type TableName = (table: 'users' | 'agents' | 'conversations' | 'messages') => string

export const USER_COLUMNS = 'id, name, email, photo_url, attributes'
export const AGENT_COLUMNS = 'id, name, email, photo_url, alias'
export const MESSAGE_COLUMNS = 'id, conversation_id, body, author, visibility, attachments, created_at'

/** A conversation with its user and assignee, in the columns ConversationJoin names; add the WHERE or ORDER. */
export function conversationSelect (table: TableName): string {
  return `
    SELECT c.id, c.status, c.title, c.tags, c.attributes, c.assignee_id, c.user_id, c.initial_message_id, c.created_at, c.updated_at,
           u.name AS u_name, u.email AS u_email, u.photo_url AS u_photo_url, u.attributes AS u_attributes,
           a.name AS a_name, a.email AS a_email, a.photo_url AS a_photo_url, a.alias AS a_alias
    FROM ${table('conversations')} c
    JOIN ${table('users')} u ON u.id = c.user_id
    LEFT JOIN ${table('agents')} a ON a.id = c.assignee_id`
}

/** Upserts an agent by id; the five values in AGENT_COLUMNS order. */
export function upsertAgent (table: TableName, placeholders: string): string {
  return `INSERT INTO ${table('agents')} (${AGENT_COLUMNS}) VALUES (${placeholders})
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, photo_url = excluded.photo_url, alias = excluded.alias`
}
