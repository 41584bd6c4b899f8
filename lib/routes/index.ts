import type { FastifyInstance } from 'fastify'
import { createRequestHooks } from '../auth/hooks.js'
import { createErrorHandler } from '../error-handler.js'
import type { FinEvents } from '../events.js'
import type { OperationName } from '../operations.js'
import type { ResolvedOptions } from '../options.js'
import type { FinStorage } from '../storage/types.js'
import { installValidation } from '../validation.js'
import { agentOperations } from './agents.js'
import { conversationOperations } from './conversations.js'
import { messageOperations } from './messages.js'
import { mountOperation, type AnyOperationSpec } from './operation.js'
import { userOperations } from './users.js'

export interface FinRoutesOptions {
  options: ResolvedOptions
  storage: FinStorage
  events: FinEvents
}

/**
 * The Fin routes with everything they need, in an encapsulated context (not fp-wrapped): the parser, validator,
 * error handler, rate limit and auth hooks here never touch the host's other routes.
 */
export async function finRoutes (app: FastifyInstance, { options, storage, events }: FinRoutesOptions): Promise<void> {
  installValidation(app, options.bodyLimit)
  app.setErrorHandler(createErrorHandler(options.bodyLimit))
  for (const hook of await createRequestHooks(app, options)) app.addHook('onRequest', hook)

  const context = { integration: options.name, storage, events, sanitize: options.sanitize }
  const specs = new Map<OperationName, AnyOperationSpec>()
  for (const spec of [
    ...userOperations(context), ...agentOperations(context), ...conversationOperations(context), ...messageOperations(context)
  ]) specs.set(spec.operation, spec)

  for (const route of options.routes) mountOperation(app, route, specs.get(route.operation)!, options.name, options.bodyLimit)
}
