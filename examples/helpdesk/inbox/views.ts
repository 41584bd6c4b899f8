import type { schemas } from '../../../lib/index.js'
import type { InboxConversation, InboxMessage } from './client/types.js'

type Conversation = schemas.Conversation
type Message = schemas.Message

/** One row of the conversation list: who, where it stands, and what was said last. */
export function conversationSummary (conversation: Conversation, last: Message | undefined, handedOver: boolean): InboxConversation {
  const assignee = conversation.assignee
  return {
    id: conversation.id,
    title: conversation.title ?? null,
    status: conversation.status,
    user: conversation.user.name ?? conversation.user.email ?? conversation.user.id ?? 'unknown user',
    assignee: assignee === undefined ? null : { id: assignee.id ?? '', name: assignee.name ?? assignee.id ?? '' },
    // "Needs a human": open, Fin set the assignee to null, and nobody was assigned since.
    needs_human: handedOver && conversation.status === 'open' && assignee === undefined,
    updated_at: conversation.updated_at ?? conversation.created_at ?? null,
    last_message: last === undefined ? null : { author: authorName(last), body: last.body, visibility: last.visibility }
  }
}

export function threadMessage (message: Message, finAgentId: string): InboxMessage {
  return {
    id: message.id,
    author: authorName(message),
    from: message.author.id === finAgentId ? 'fin' : message.author.user_type === 'agent' ? 'agent' : 'user',
    body: message.body,
    visibility: message.visibility,
    created_at: message.created_at,
    attachments: (message.attachments ?? []).flatMap((a) => a.url === undefined ? [] : [{ url: a.url, filename: a.filename ?? a.url }])
  }
}

function authorName (message: Message): string {
  const author = message.author
  return author.name ?? author.email ?? author.id ?? 'unknown'
}
