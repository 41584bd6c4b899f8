import { Type } from '@sinclair/typebox'
import { Agent, PostsOnlyAgent } from '../../schemas/models.js'
import { toAgent } from '../../storage/records.js'
import { defineOperation, type AnyOperationSpec, type RouteContext } from './operation.js'

export function agentOperations ({ storage }: RouteContext): AnyOperationSpec[] {
  return [
    defineOperation({
      operation: 'getAgents',
      tag: 'Agents',
      summary: 'List agents',
      description: 'Used at setup: the customer picks the agent that represents Fin. POST-only agents carry alias_name.',
      status: 200,
      standard: {
        response: Type.Array(Agent),
        handler: async () => (await storage.listAgents()).map(toAgent)
      },
      postsOnly: {
        response: Type.Array(PostsOnlyAgent),
        handler: async () => (await storage.listAgents()).map((agent) => ({
          id: agent.id,
          user_type: 'agent' as const,
          name: agent.name,
          email: agent.email,
          photo_url: agent.photo_url ?? null,
          alias_name: agent.alias ?? null
        }))
      }
    })
  ]
}
