import { FinConversationNotFoundError } from '../../errors.js'
import { Conversation, CreateConversationResponse } from '../../schemas/models.js'
import {
  CreateConversationRequest, GetConversationQuery, PostsOnlyCreateConversationRequest,
  PostsOnlyGetConversationRequest, PostsOnlyUpdateConversationRequest, UpdateConversationRequest
} from '../../schemas/requests.js'
import { toNewMessage } from '../../writes/message-input.js'
import { assertShallow } from '../validation.js'
import { defineOperation, type AnyOperationSpec, type RouteContext } from './operation.js'

export function conversationOperations ({ storage, sanitize, writes }: RouteContext): AnyOperationSpec[] {
  async function getConversation (conversationId: string): Promise<Conversation> {
    const conversation = await storage.getConversation(conversationId)
    if (conversation === null) throw new FinConversationNotFoundError(conversationId)
    return conversation
  }

  // Writes go through the write path hosts use too (lib/writes/): same checks, same events.
  const createConversation = writes.createConversation.bind(writes)

  async function updateConversation (input: PostsOnlyUpdateConversationRequest): Promise<Conversation> {
    const { conversation_id: conversationId, ...patch } = input
    return writes.updateConversation(conversationId, patch)
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
