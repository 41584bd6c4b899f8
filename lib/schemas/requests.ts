import { Type, type Static } from '@sinclair/typebox'
import { AttachmentInput, ConversationStatus, MessageVisibility } from './models.js'
import { Attributes, Id, Nullable, StringEnum, Timestamp } from './types.js'

// Request schemas. Where the reference marks nothing required but an operation cannot work without a field
// (the id it reads or writes), we require it: see docs/decisions.md. Unknown fields are ignored, never stored.

const Body = Nullable(Type.String({ maxLength: 100_000, description: 'HTML in Fin\'s supported subset.' }))
const Attachments = Type.Array(AttachmentInput, { maxItems: 50 })
const Tags = Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 })
const MessageType = Type.Literal('comment')

export const GetUserQuery = Type.Object({ user_id: Id })
export type GetUserQuery = Static<typeof GetUserQuery>

export const UpdateUserRequest = Type.Object({
  user_id: Id,
  attributes: Type.Optional(Attributes({ description: 'End-user attributes to store (merged into the stored ones).' }))
}, { description: 'Body of updateUser (same in both variants).' })
export type UpdateUserRequest = Static<typeof UpdateUserRequest>

export const CreateUserRequest = Type.Object({
  name: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  email: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  object_id: Type.Optional(Id)
}, { description: 'Body of createUser.' })
export type CreateUserRequest = Static<typeof CreateUserRequest>

export const GetConversationQuery = Type.Object({ conversation_id: Id })
export type GetConversationQuery = Static<typeof GetConversationQuery>

export const UpdateConversationRequest = Type.Object({
  conversation_id: Id,
  title: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  tags: Type.Optional(Tags),
  attributes: Type.Optional(Attributes()),
  status: Type.Optional(ConversationStatus),
  assignee_id: Type.Optional(Nullable(Id)),
  last_user_read_at: Type.Optional(Nullable(Timestamp))
}, { description: 'Body of updateConversation. Only the fields present are changed; assignee_id null is a handover.' })
export type UpdateConversationRequest = Static<typeof UpdateConversationRequest>

/** Author reference on created messages; the POST-only variant may add name, email and photo_url. */
export const MessageAuthorRef = Type.Object({
  id: Id,
  user_type: StringEnum(['end_user', 'agent']),
  name: Type.Optional(Nullable(Type.String())),
  email: Type.Optional(Nullable(Type.String())),
  photo_url: Type.Optional(Nullable(Type.String()))
})
export type MessageAuthorRef = Static<typeof MessageAuthorRef>

/** The fields every created message shares, in both variants and in create_conversation's initial_message. */
const MessageFields = {
  message_type: Type.Optional(MessageType),
  body: Type.Optional(Body),
  visibility: Type.Optional(MessageVisibility),
  created_at: Type.Optional(Timestamp),
  object_id: Type.Optional(Id),
  attachments: Type.Optional(Attachments)
}

export const CreateMessageRequest = Type.Object({
  conversation_id: Id,
  author: MessageAuthorRef,
  ...MessageFields
}, { description: 'Body of createMessage. A body, at least one attachment, or both.' })
export type CreateMessageRequest = Static<typeof CreateMessageRequest>

export const CreateConversationInitialMessage = Type.Object({
  conversation_id: Type.Optional(Type.String()),
  author: Type.Optional(MessageAuthorRef),
  attributes: Type.Optional(Attributes({ description: 'Conversation attributes.' })),
  ...MessageFields
}, { description: 'The first message of a new conversation. Its author defaults to the conversation\'s end-user.' })
export type CreateConversationInitialMessage = Static<typeof CreateConversationInitialMessage>

export const CreateConversationRequest = Type.Object({
  title: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  user_id: Id,
  object_id: Type.Optional(Id),
  initial_message: CreateConversationInitialMessage
}, { description: 'Body of createConversation (standard variant).' })
export type CreateConversationRequest = Static<typeof CreateConversationRequest>

export const GetMessagesQuery = Type.Object({
  conversation_id: Id,
  after_id: Type.Optional(Type.String({ maxLength: 255 }))
})
export type GetMessagesQuery = Static<typeof GetMessagesQuery>

// ---- POST-only variant ----

/** The end-user summary Fin sends inside POST-only requests. */
export const PostsOnlyBasicUser = Type.Object({
  id: Id,
  name: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  email: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  photo_url: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
  user_type: Type.Optional(Type.Literal('end_user')),
  attributes: Type.Optional(Nullable(Attributes()))
})
export type PostsOnlyBasicUser = Static<typeof PostsOnlyBasicUser>

export const PostsOnlyGetUserRequest = GetUserQuery
export const PostsOnlyGetConversationRequest = GetConversationQuery
export const PostsOnlyGetMessagesRequest = GetMessagesQuery

export const PostsOnlyUpdateConversationRequest = Type.Object({
  ...UpdateConversationRequest.properties,
  user: Type.Optional(PostsOnlyBasicUser)
})
export type PostsOnlyUpdateConversationRequest = Static<typeof PostsOnlyUpdateConversationRequest>

export const PostsOnlyCreateConversationRequest = Type.Object({
  title: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  user: PostsOnlyBasicUser,
  object_id: Type.Optional(Id),
  attributes: Type.Optional(Attributes()),
  initial_message: Type.Object({
    author: Type.Optional(MessageAuthorRef),
    ...MessageFields
  })
})
export type PostsOnlyCreateConversationRequest = Static<typeof PostsOnlyCreateConversationRequest>

export const PostsOnlyCreateMessageRequest = CreateMessageRequest
