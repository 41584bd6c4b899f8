// What /inbox/api answers: shared by the server (which builds it) and the page (which reads it). Types only.

export interface InboxAgent {
  id: string
  name: string
  email: string
}

export type InboxView = 'human' | 'mine' | 'unassigned' | 'all'

export interface InboxSync {
  state: 'off' | 'pending' | 'delivered' | 'retrying' | 'failed'
  reason: string | null
  at: string | null
}

export interface InboxConversation {
  id: string
  title: string | null
  status: 'open' | 'resolved' | 'closed' | 'ended'
  /** The end-user's name (or email, or id). */
  user: string
  assignee: { id: string, name: string } | null
  needs_human: boolean
  /** When Fin handed it over (ISO 8601), while it needs a human. */
  waiting_since: string | null
  updated_at: string | null
  last_message: { id: string, author: string, from: 'fin' | 'agent' | 'user', author_id: string | null, body: string, visibility: 'public' | 'private', created_at: string } | null
  sync: InboxSync
}

export interface InboxPage {
  conversations: InboxConversation[]
  next_cursor: string | null
}

export interface InboxMessage {
  id: string
  author: string
  /** Who wrote it: Fin (the agent Fin writes as), a human agent, or the end-user. */
  from: 'fin' | 'agent' | 'user'
  /** Sanitized HTML. */
  body: string
  visibility: 'public' | 'private'
  created_at: string
  attachments: Array<{ url: string, filename: string }>
}

/** The end-user and the conversation's data, beside the thread. */
export interface InboxCustomer {
  name: string | null
  email: string | null
  tags: string[]
  attributes: Record<string, unknown>
  user_attributes: Record<string, unknown>
}

export interface InboxThread {
  conversation: InboxConversation
  customer: InboxCustomer
  messages: InboxMessage[]
}

/** One frame of the event stream: what changed, and the list row as it now is (null when it is gone). */
export interface InboxChange {
  kind: 'conversation' | 'message' | 'handover' | 'sync'
  conversation_id: string
  conversation: InboxConversation | null
}
