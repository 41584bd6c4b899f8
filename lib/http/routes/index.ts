import type { FastifyInstance } from 'fastify'
import type { ResolvedAuthOptions } from '../../auth/options.js'
import { registerLimits, routeAuth, type ApiAuth } from '../auth.js'
import { tokenEndpoint } from '../token-endpoint.js'
import { createErrorHandler } from '../error-handler.js'
import type { FinEvents } from '../../events.js'
import type { OperationName } from '../../operations.js'
import type { ResolvedHttpOptions } from '../options.js'
import type { FinStorage } from '../../storage/types.js'
import type { FinTelemetry } from '../../telemetry/index.js'
import type { FinWrites } from '../../writes/writes.js'
import { apiHooks, TELEMETRY_STATE, traceHandler } from '../../telemetry/requests.js'
import { installValidation } from '../validation.js'
import { agentOperations } from './agents.js'
import { conversationOperations } from './conversations.js'
import { messageOperations } from './messages.js'
import { mountOperation, type AnyOperationSpec } from './operation.js'
import { userOperations } from './users.js'

export interface FinRoutesOptions {
  options: ResolvedHttpOptions & Pick<ResolvedAuthOptions, 'name' | 'rateLimit' | 'authFailureLimit'>
  /** Built by the plugin from the options. */
  auth: ApiAuth
  sanitize: (html: string) => string
  storage: FinStorage
  events: FinEvents
  /** The write path the routes share with the host (built by the plugin for validated input). */
  writes: FinWrites
  /** Present when an OpenTelemetry SDK is registered. */
  telemetry?: FinTelemetry | undefined
}

/**
 * Everything under the plugin's prefix, in an encapsulated context (not fp-wrapped): the parser, validator, error
 * handler, rate limit and auth hooks here never touch the host's other routes. The token endpoint and the Fin API
 * are sibling contexts sharing one rate limiter: the API's auth and signature hooks do not apply to the endpoint
 * that hands out the tokens.
 */
export async function finRoutes (app: FastifyInstance, { options, auth, sanitize, storage, events, writes, telemetry }: FinRoutesOptions): Promise<void> {
  installValidation(app, options.bodyLimit)
  app.setErrorHandler(createErrorHandler(options.bodyLimit))
  const limits = await registerLimits(app, options)
  const oauth = auth.oauth
  if (oauth !== undefined) await app.register(tokenEndpoint, { oauth, limits })

  await app.register(async function finApi (api) {
    // First, so the request span covers the rate limit and auth hooks too.
    if (telemetry !== undefined) {
      const hooks = apiHooks(telemetry)
      api.decorateRequest(TELEMETRY_STATE, null)
      api.addHook('onRequest', hooks.onRequest)
      api.addHook('onError', hooks.onError)
      api.addHook('onResponse', hooks.onResponse)
    }
    const hooks = await routeAuth(api, auth, limits)
    const context = { integration: options.name, storage, events, sanitize, attributeLimits: options.attributeLimits, writes }
    const specs = new Map<OperationName, AnyOperationSpec>()
    for (const spec of [
      ...userOperations(context), ...agentOperations(context), ...conversationOperations(context), ...messageOperations(context)
    ]) specs.set(spec.operation, telemetry === undefined ? spec : traceOperation(spec, telemetry))
    for (const route of options.routes) mountOperation(api, route, specs.get(route.operation)!, hooks, options.name, options.bodyLimit)
  })
}

/** The operation with both variants' handlers run in the request span's context (storage spans nest under it). */
function traceOperation (spec: AnyOperationSpec, telemetry: FinTelemetry): AnyOperationSpec {
  return {
    ...spec,
    standard: { ...spec.standard, handler: traceHandler(spec.standard.handler, telemetry) },
    postsOnly: { ...spec.postsOnly, handler: traceHandler(spec.postsOnly.handler, telemetry) }
  }
}
