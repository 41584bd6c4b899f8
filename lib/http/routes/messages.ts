import { Type } from '@sinclair/typebox'
import { FinConversationNotFoundError } from '../../errors.js'
import { Message, PostsOnlyMessage } from '../../schemas/models.js'
import { CreateMessageRequest, GetMessagesQuery, PostsOnlyCreateMessageRequest, PostsOnlyGetMessagesRequest } from '../../schemas/requests.js'
import { defineOperation, type AnyOperationSpec, type RouteContext } from './operation.js'

export function messageOperations ({ storage, writes }: RouteContext): AnyOperationSpec[] {
  async function getMessages (input: GetMessagesQuery): Promise<Message[]> {
    // An empty after_id means "from the start", like no after_id at all.
    const afterId = input.after_id === '' ? undefined : input.after_id
    const messages = await storage.listMessages(input.conversation_id, afterId)
    if (messages === null) throw new FinConversationNotFoundError(input.conversation_id)
    return messages
  }

  // The write path hosts use too (lib/writes/): same sanitizing, same events; Fin's own change is not echoed to it.
  async function createMessage (input: CreateMessageRequest): Promise<Message> {
    return writes.createMessage(input.conversation_id, input)
  }

  return [
    defineOperation({
      operation: 'getMessages',
      tag: 'Messages',
      summary: 'List messages of a conversation',
      description: 'Oldest first. With after_id, only the messages created after it; an unknown after_id lists them all.',
      status: 200,
      standard: { request: GetMessagesQuery, response: Type.Array(Message), handler: getMessages },
      postsOnly: { request: PostsOnlyGetMessagesRequest, response: Type.Array(PostsOnlyMessage), handler: getMessages }
    }),
    defineOperation({
      operation: 'createMessage',
      tag: 'Messages',
      summary: 'Create a message',
      description: 'End-user messages and Fin\'s replies. A body, at least one attachment, or both; the body is sanitized. Idempotent on object_id.',
      status: 201,
      standard: { request: CreateMessageRequest, response: Message, handler: createMessage },
      postsOnly: { request: PostsOnlyCreateMessageRequest, response: Message, handler: createMessage }
    })
  ]
}
