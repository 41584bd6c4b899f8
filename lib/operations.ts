import type { FastifyRequest } from 'fastify'

/** The nine operations of the Fin Custom Helpdesk API, by their operationId in the reference. */
export const OPERATIONS = [
  'getUser', 'updateUser', 'createUser', 'getAgents', 'getConversation', 'updateConversation', 'createConversation',
  'getMessages', 'createMessage'
] as const
export type OperationName = typeof OPERATIONS[number]

/** The operations that only read: repeating one changes nothing. */
export const READ_OPERATIONS: ReadonlySet<OperationName> = new Set(['getUser', 'getAgents', 'getConversation', 'getMessages'])

export type HttpMethod = 'GET' | 'PUT' | 'POST'

/** Standard variant: documented default method and path of each operation. */
export const STANDARD_ROUTES: Record<OperationName, { method: HttpMethod, path: string }> = {
  getUser: { method: 'GET', path: '/user' },
  updateUser: { method: 'PUT', path: '/user' },
  createUser: { method: 'POST', path: '/user' },
  getAgents: { method: 'GET', path: '/agents' },
  getConversation: { method: 'GET', path: '/conversation' },
  updateConversation: { method: 'PUT', path: '/conversation' },
  createConversation: { method: 'POST', path: '/conversation' },
  getMessages: { method: 'GET', path: '/messages' },
  createMessage: { method: 'POST', path: '/messages' }
}

/** POST-only variant: documented default path of each operation (always POST). */
export const POSTS_ONLY_PATHS: Record<OperationName, string> = {
  getUser: '/get_user',
  updateUser: '/update_user',
  createUser: '/create_user',
  getAgents: '/get_agents',
  getConversation: '/get_conversation',
  updateConversation: '/update_conversation',
  createConversation: '/create_conversation',
  getMessages: '/get_messages',
  createMessage: '/create_message'
}

/** One of the two API variants a route belongs to. */
export type FinRouteVariant = 'standard' | 'posts-only'

/**
 * What each Fin route carries in `routeOptions.config`, set where the route is declared and read by the error
 * handler (its body shape), telemetry (span names, metric attributes) and the limits (log lines): per-route facts
 * travel with the route, as @fastify/rate-limit's own `config.rateLimit` does.
 */
export interface FinRouteConfig {
  operation: OperationName
  variant: FinRouteVariant
}

/** The Fin route facts of a request; empty on any other route (the token endpoint, a host's route, a 404). */
export function finRoute (request: FastifyRequest): Partial<FinRouteConfig> {
  return request.routeOptions.config as Partial<FinRouteConfig>
}
