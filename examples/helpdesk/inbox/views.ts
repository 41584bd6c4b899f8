import type { schemas } from '../../../lib/index.js'
import type { InboxConversation, InboxCustomer, InboxMessage, InboxSync } from './client/types.js'

type Conversation = schemas.Conversation
type Message = schemas.Message

/** One row of the conversation list: who, where it stands, what was said last, and Fin's sync state. */
export function conversationSummary (conversation: Conversation, last: Message | null, handedOverAt: string | undefined, sync: InboxSync, finAgentId: string): InboxConversation {
  const assignee = conversation.assignee
  // "Needs a human": open, Fin set the assignee to null, and nobody was assigned since.
  const needsHuman = handedOverAt !== undefined && conversation.status === 'open' && assignee === undefined
  return {
    id: conversation.id,
    title: conversation.title ?? null,
    status: conversation.status,
    user: conversation.user.name ?? conversation.user.email ?? conversation.user.id ?? 'unknown user',
    assignee: assignee === undefined ? null : { id: assignee.id ?? '', name: assignee.name ?? assignee.id ?? '' },
    needs_human: needsHuman,
    waiting_since: needsHuman ? handedOverAt : null,
    updated_at: conversation.updated_at ?? conversation.created_at ?? null,
    last_message: last === null
      ? null
      : { id: last.id, author: authorName(last), from: fromOf(last, finAgentId), author_id: last.author.id ?? null, body: last.body, visibility: last.visibility, created_at: last.created_at },
    sync
  }
}

export function customerOf (conversation: Conversation): InboxCustomer {
  return {
    name: conversation.user.name ?? null,
    email: conversation.user.email ?? null,
    tags: conversation.tags ?? [],
    attributes: conversation.attributes ?? {},
    user_attributes: conversation.user.attributes ?? {}
  }
}

export function threadMessage (message: Message, finAgentId: string): InboxMessage {
  return {
    id: message.id,
    author: authorName(message),
    from: fromOf(message, finAgentId),
    body: message.body,
    visibility: message.visibility,
    created_at: message.created_at,
    attachments: (message.attachments ?? []).flatMap((a) => a.url === undefined ? [] : [{ url: a.url, filename: a.filename ?? a.url }])
  }
}

function fromOf (message: Message, finAgentId: string): InboxMessage['from'] {
  return message.author.id === finAgentId ? 'fin' : message.author.user_type === 'agent' ? 'agent' : 'user'
}

function authorName (message: Message): string {
  const author = message.author
  return author.name ?? author.email ?? author.id ?? 'unknown'
}
