import { FinUserNotFoundError } from '../../errors.js'
import { EndUser } from '../../schemas/models.js'
import { CreateUserRequest, GetUserQuery, PostsOnlyGetUserRequest, UpdateUserRequest } from '../../schemas/requests.js'
import { defineOperation, type AnyOperationSpec, type RouteContext } from './operation.js'

export function userOperations ({ storage, writes }: RouteContext): AnyOperationSpec[] {
  async function getUser (userId: string): Promise<EndUser> {
    const user = await storage.getUser(userId)
    if (user === null) throw new FinUserNotFoundError(userId)
    return user
  }

  async function updateUser (input: UpdateUserRequest): Promise<EndUser> {
    return writes.updateUser(input.user_id, { attributes: input.attributes })
  }

  async function createUser (input: CreateUserRequest): Promise<EndUser> {
    return writes.createUser(input)
  }

  return [
    defineOperation({
      operation: 'getUser',
      tag: 'Users',
      summary: 'Get an end-user',
      description: 'Fin loads an end-user by id during synchronization. 404 FIN_ERR_USER_NOT_FOUND when unknown.',
      status: 200,
      standard: { request: GetUserQuery, response: EndUser, handler: (query) => getUser(query.user_id) },
      postsOnly: { request: PostsOnlyGetUserRequest, response: EndUser, handler: (body) => getUser(body.user_id) }
    }),
    defineOperation({
      operation: 'updateUser',
      tag: 'Users',
      summary: 'Update an end-user',
      description: 'Fin updates an end-user\'s attributes; they are merged key by key into the stored ones.',
      status: 200,
      standard: { request: UpdateUserRequest, response: EndUser, handler: updateUser },
      postsOnly: { request: UpdateUserRequest, response: EndUser, handler: updateUser }
    }),
    defineOperation({
      operation: 'createUser',
      tag: 'Users',
      summary: 'Create an end-user',
      description: 'Called when a Fin Messenger user has no helpdesk record. Idempotent on object_id: a repeat answers the first user, 201.',
      status: 201,
      standard: { request: CreateUserRequest, response: EndUser, handler: createUser },
      postsOnly: { request: CreateUserRequest, response: EndUser, handler: createUser }
    })
  ]
}
