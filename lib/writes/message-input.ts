import { FinEmptyMessageError } from '../errors.js'
import type { AttachmentInput, MessageVisibility } from '../schemas/models.js'
import type { NewMessage } from '../storage/types.js'

/** The message fields both variants and create_conversation's initial_message share. */
export interface MessageInput {
  body?: string | null
  visibility?: MessageVisibility
  created_at?: string
  object_id?: string
  attachments?: AttachmentInput[]
}

/**
 * Turns a validated message input into what storage takes: the body sanitized, attachments reduced to their
 * three fields, and the rule "a body, at least one attachment, or both" enforced on what will be stored.
 */
export function toNewMessage (
  input: MessageInput,
  author: NewMessage['author'],
  sanitize: (html: string) => string,
  field: string
): NewMessage {
  const attachments = (input.attachments ?? []).map((attachment) => ({
    url: attachment.url,
    filetype: attachment.filetype,
    filename: attachment.filename
  }))
  const raw = input.body ?? ''
  const body = raw === '' ? '' : sanitize(raw)
  if (attachments.length === 0 && body.trim() === '') {
    throw new FinEmptyMessageError(raw.trim() === ''
      ? `${field} has no body and no attachments`
      : `${field}/body holds nothing Fin can show once sanitized, and there are no attachments`)
  }
  return {
    object_id: input.object_id,
    author: { id: author.id, user_type: author.user_type },
    body,
    visibility: input.visibility ?? 'public',
    created_at: input.created_at,
    attachments
  }
}
