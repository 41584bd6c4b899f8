import { FinConversationNotFoundError } from '../../errors.js'
import { Conversation, CreateConversationResponse } from '../../schemas/models.js'
import {
  CreateConversationRequest, GetConversationQuery, PostsOnlyCreateConversationRequest,
  PostsOnlyGetConversationRequest, PostsOnlyUpdateConversationRequest, UpdateConversationRequest
} from '../../schemas/requests.js'
import type { ConversationPatch, CreatedConversation, NewConversation } from '../../storage/types.js'
import { checkAttributes } from '../../storage/attributes.js'
import { assertShallow } from '../validation.js'
import { toNewMessage } from './message-input.js'
import { defineOperation, type AnyOperationSpec, type RouteContext } from './operation.js'

export function conversationOperations ({ integration, storage, events, sanitize, attributeLimits }: RouteContext): AnyOperationSpec[] {
  async function getConversation (conversationId: string): Promise<Conversation> {
    const conversation = await storage.getConversation(conversationId)
    if (conversation === null) throw new FinConversationNotFoundError(conversationId)
    return conversation
  }

  async function createConversation (input: NewConversation): Promise<CreatedConversation> {
    checkAttributes(input.attributes, attributeLimits, 'conversation')
    const { value, created } = await storage.createConversation(input)
    if (created) {
      events.emit('conversation.created', { integration, conversation: value.conversation, message: value.message })
      events.emit('message.created', { integration, message: value.message })
    }
    return value
  }

  async function updateConversation (input: PostsOnlyUpdateConversationRequest): Promise<Conversation> {
    assertShallow(input.attributes, 'body/attributes')
    assertShallow(input.user?.attributes, 'body/user/attributes')
    const patch: ConversationPatch = { attributeLimits }
    if (input.title !== undefined) patch.title = input.title
    if (input.tags !== undefined) patch.tags = input.tags
    if (input.attributes !== undefined) patch.attributes = input.attributes
    if (input.status !== undefined) patch.status = input.status
    if (input.assignee_id !== undefined) patch.assignee_id = input.assignee_id
    if (input.last_user_read_at !== undefined) patch.last_user_read_at = input.last_user_read_at
    if (input.user !== undefined) {
      const { id, name, email, photo_url: photoUrl, attributes } = input.user
      patch.user = { id, name, email, photo_url: photoUrl, attributes }
    }
    const updated = await storage.updateConversation(input.conversation_id, patch)
    if (updated === null) throw new FinConversationNotFoundError(input.conversation_id)
    const { conversation, previousAssigneeId } = updated
    events.emit('conversation.updated', { integration, conversation })
    if (patch.user !== undefined) events.emit('user.updated', { integration, user: conversation.user })
    if (patch.assignee_id === null) {
      events.emit('conversation.handover', { integration, conversation, previous_assignee_id: previousAssigneeId })
    }
    return conversation
  }

  return [
    defineOperation({
      operation: 'getConversation',
      tag: 'Conversations',
      summary: 'Get a conversation',
      description: 'Fin loads a conversation during synchronization. 404 FIN_ERR_CONVERSATION_NOT_FOUND when unknown.',
      status: 200,
      standard: { request: GetConversationQuery, response: Conversation, handler: (query) => getConversation(query.conversation_id) },
      postsOnly: { request: PostsOnlyGetConversationRequest, response: Conversation, handler: (body) => getConversation(body.conversation_id) }
    }),
    defineOperation({
      operation: 'updateConversation',
      tag: 'Conversations',
      summary: 'Update a conversation',
      description: 'End of each sync run: only the fields sent change. assignee_id null hands the conversation over to a human.',
      status: 200,
      standard: { request: UpdateConversationRequest, response: Conversation, handler: updateConversation },
      postsOnly: { request: PostsOnlyUpdateConversationRequest, response: Conversation, handler: updateConversation }
    }),
    defineOperation({
      operation: 'createConversation',
      tag: 'Conversations',
      summary: 'Create a conversation',
      description: 'A conversation started in the Fin Messenger, with its first message. Answers 201 { conversation, message }; idempotent on object_id.',
      status: 201,
      standard: {
        request: CreateConversationRequest,
        response: CreateConversationResponse,
        handler: (body) => {
          const message = body.initial_message
          assertShallow(message.attributes, 'body/initial_message/attributes')
          return createConversation({
            object_id: body.object_id,
            user_id: body.user_id,
            title: body.title ?? null,
            attributes: message.attributes ?? null,
            message: toNewMessage(message, message.author ?? { id: body.user_id, user_type: 'end_user' }, sanitize, 'body/initial_message')
          })
        }
      },
      postsOnly: {
        request: PostsOnlyCreateConversationRequest,
        response: CreateConversationResponse,
        handler: (body) => {
          assertShallow(body.attributes, 'body/attributes')
          const message = body.initial_message
          return createConversation({
            object_id: body.object_id,
            user_id: body.user.id,
            title: body.title ?? null,
            attributes: body.attributes ?? null,
            message: toNewMessage(message, message.author ?? { id: body.user.id, user_type: 'end_user' }, sanitize, 'body/initial_message')
          })
        }
      }
    })
  ]
}
