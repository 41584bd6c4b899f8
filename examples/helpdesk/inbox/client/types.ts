// What /inbox/api answers: shared by the server (which builds it) and the page (which reads it). Types only.

export interface InboxAgent {
  id: string
  name: string
}

export interface InboxConversation {
  id: string
  title: string | null
  status: 'open' | 'resolved' | 'closed' | 'ended'
  /** The end-user's name (or email, or id). */
  user: string
  assignee: InboxAgent | null
  needs_human: boolean
  updated_at: string | null
  last_message: { author: string, body: string, visibility: 'public' | 'private' } | null
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

export interface InboxSync {
  state: 'off' | 'pending' | 'delivered' | 'retrying' | 'failed'
  reason: string | null
  at: string | null
}

export interface InboxThread {
  conversation: InboxConversation
  messages: InboxMessage[]
  sync: InboxSync
}

export interface InboxChange {
  kind: 'conversation' | 'message' | 'handover' | 'sync'
  conversation_id: string
}
