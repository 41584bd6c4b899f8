import type { Agent, Conversation, EndUser, Message } from '../schemas/models.js'
import { toEndUser, userAuthor, type UserRow } from '../storage/records.js'

// The SQL adapters' side of the row mapping: rows as both select them, with JSON columns decoded by the driver's way.

/** JSON columns as the driver hands them: text in SQLite (parse it), already decoded in PostgreSQL (as is). */
export type Decode = (value: unknown) => unknown

/** A conversation row joined with its user (u_*) and assignee (a_*), as both SQL adapters select it. */
export interface ConversationJoin {
  id: string
  status: Conversation['status']
  title: string | null
  tags: unknown
  attributes: unknown
  assignee_id: string | null
  user_id: string
  initial_message_id: string | null
  created_at: string
  updated_at: string
  u_name: string | null
  u_email: string | null
  u_photo_url: string | null
  u_attributes: unknown
  a_name: string | null
  a_email: string | null
  a_photo_url: string | null
  a_alias: string | null
}

export function fromConversationJoin (row: ConversationJoin, decode: Decode): Conversation {
  const assignee: Agent | undefined = row.assignee_id === null || row.a_name === null
    ? undefined
    : { id: row.assignee_id, user_type: 'agent', name: row.a_name, email: row.a_email, photo_url: row.a_photo_url, alias: row.a_alias }
  return {
    id: row.id,
    status: row.status,
    user: {
      id: row.user_id,
      user_type: 'end_user',
      name: row.u_name,
      email: row.u_email,
      photo_url: row.u_photo_url,
      attributes: row.u_attributes === null ? null : decode(row.u_attributes) as Record<string, unknown>
    },
    title: row.title ?? undefined,
    tags: decode(row.tags) as string[],
    attributes: decode(row.attributes) as Record<string, unknown>,
    assignee,
    created_at: row.created_at,
    updated_at: row.updated_at
  }
}

/** A message row, as both SQL adapters select it. */
export interface MessageRow {
  id: string
  conversation_id: string
  body: string
  author: unknown
  visibility: Message['visibility']
  attachments: unknown
  created_at: string
}

export function fromMessageRow (row: MessageRow, decode: Decode): Message {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    message_type: 'comment',
    body: row.body,
    author: decode(row.author) as Message['author'],
    visibility: row.visibility,
    created_at: row.created_at,
    attachments: decode(row.attachments) as Message['attachments']
  }
}

/** A user row, as both SQL adapters select it. */
export interface StoredUserRow {
  id: string
  name: string | null
  email: string | null
  photo_url: string | null
  attributes: unknown
}

export function fromUserRow (row: StoredUserRow, decode: Decode): UserRow {
  return { id: row.id, name: row.name, email: row.email, photo_url: row.photo_url, attributes: row.attributes === null ? null : decode(row.attributes) as Record<string, unknown> }
}

/** The row mappers of one SQL adapter, given how it decodes JSON columns. */
export interface RowMappers {
  toUser: (row: StoredUserRow) => EndUser
  toConversation: (row: ConversationJoin) => Conversation
  toMessage: (row: MessageRow) => Message
  /** A message author from a user row. */
  toUserAuthor: (row: StoredUserRow) => Message['author']
}

export function rowMappers (decode: Decode): RowMappers {
  return {
    toUser: (row) => toEndUser(fromUserRow(row, decode)),
    toConversation: (row) => fromConversationJoin(row, decode),
    toMessage: (row) => fromMessageRow(row, decode),
    toUserAuthor: (row) => userAuthor(fromUserRow(row, decode))
  }
}
