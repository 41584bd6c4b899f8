import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Attributes, Id, Nullable, StringEnum, Timestamp } from './types.js'

/** The end-user (customer) of a conversation. */
export const EndUser = Type.Object({
  id: Type.String(),
  user_type: Type.Literal('end_user'),
  name: Type.Optional(Nullable(Type.String())),
  // No `format`: accepted and returned as the helpdesk holds them, unvalidated (docs/decisions.md).
  email: Type.Optional(Nullable(Type.String())),
  photo_url: Type.Optional(Nullable(Type.String())),
  attributes: Type.Optional(Nullable(Attributes()))
}, { description: 'The end-user (customer) in a conversation with Fin or an agent.' })
export type EndUser = Static<typeof EndUser>

/** A helpdesk agent, standard variant: the reference marks no field required. */
export const Agent = Type.Object({
  id: Type.Optional(Type.String()),
  user_type: Type.Optional(Type.Literal('agent')),
  name: Type.Optional(Nullable(Type.String())),
  // No `format`: accepted and returned as the helpdesk holds them, unvalidated (docs/decisions.md).
  email: Type.Optional(Nullable(Type.String())),
  photo_url: Type.Optional(Nullable(Type.String())),
  alias: Type.Optional(Nullable(Type.String()))
}, { description: 'A helpdesk agent (Fin is represented by one of them).' })
export type Agent = Static<typeof Agent>

/** A helpdesk agent, POST-only variant: `alias_name`, and id, user_type, name and email required. */
export const PostsOnlyAgent = Type.Object({
  id: Type.String(),
  user_type: Type.Literal('agent'),
  name: Type.String(),
  email: Type.String(),
  photo_url: Type.Optional(Nullable(Type.String())),
  alias_name: Type.Optional(Nullable(Type.String()))
})
export type PostsOnlyAgent = Static<typeof PostsOnlyAgent>

export const ConversationStatus = StringEnum(['open', 'resolved', 'closed', 'ended'])
export type ConversationStatus = Static<typeof ConversationStatus>

/** A conversation: always exactly one end-user. `assignee` is absent while nobody is assigned. */
export const Conversation = Type.Object({
  id: Type.String(),
  status: ConversationStatus,
  user: EndUser,
  title: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
  attributes: Type.Optional(Attributes()),
  assignee: Type.Optional(Agent),
  created_at: Type.Optional(Timestamp),
  updated_at: Type.Optional(Timestamp)
}, { description: 'A conversation; it always has exactly one end-user.' })
export type Conversation = Static<typeof Conversation>

export const MessageVisibility = StringEnum(['public', 'private'])
export type MessageVisibility = Static<typeof MessageVisibility>

/** A file attached to a message, as returned. */
export const Attachment = Type.Object({
  url: Type.Optional(Type.String()),
  filetype: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String())
})
export type Attachment = Static<typeof Attachment>

/** A file attached to a message, as accepted: the url is required and must be HTTPS. */
export const AttachmentInput = Type.Object({
  url: Type.String({ pattern: '^https://[^\\s]+$', maxLength: 4096 }),
  filetype: Type.Optional(Type.String({ maxLength: 255 })),
  filename: Type.Optional(Type.String({ maxLength: 1024 }))
})
export type AttachmentInput = Static<typeof AttachmentInput>

/**
 * A schema without its `format` keywords. fast-json-stringify validates `anyOf` branches (formats included) to pick
 * one, and an author's email is whatever the helpdesk holds: a formatted branch would turn an odd email into a 500.
 */
function withoutFormats<T extends TSchema> (schema: T): T {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => (key === 'format' ? undefined : value))) as T
}

/** Who wrote a message: the end-user or an agent (Fin writes as the agent chosen at setup). */
export const MessageAuthor = Type.Union([withoutFormats(EndUser), withoutFormats(Agent)], { description: 'Who wrote the message.' })
export type MessageAuthor = Static<typeof MessageAuthor>

/** A message, standard variant: `body` is a required string ("" for attachment-only messages). */
export const Message = Type.Object({
  id: Type.String(),
  conversation_id: Type.String(),
  message_type: Type.Literal('comment'),
  body: Type.String(),
  author: MessageAuthor,
  visibility: MessageVisibility,
  created_at: Timestamp,
  attachments: Type.Optional(Type.Array(Attachment))
}, { description: 'A message in a conversation, written by the end-user or an agent.' })
export type Message = Static<typeof Message>

/** A message, POST-only variant: `body` is optional and nullable. */
export const PostsOnlyMessage = Type.Object({
  id: Type.String(),
  conversation_id: Type.String(),
  message_type: Type.Literal('comment'),
  body: Type.Optional(Nullable(Type.String())),
  author: MessageAuthor,
  visibility: MessageVisibility,
  created_at: Timestamp,
  attachments: Type.Optional(Type.Array(Attachment))
})
export type PostsOnlyMessage = Static<typeof PostsOnlyMessage>

/** What create_conversation answers: the new conversation and its initial message. */
export const CreateConversationResponse = Type.Object({
  conversation: Conversation,
  message: Message
})
export type CreateConversationResponse = Static<typeof CreateConversationResponse>

export { Id }
