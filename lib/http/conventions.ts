import type { FastifyInstance } from 'fastify'
import { createErrorHandler } from './error-handler.js'
import { DEFAULT_BODY_LIMIT } from './options.js'
import { installValidation } from './validation.js'

/**
 * Gives a host's own routes the Fin routes' request handling: the strict JSON parser, the validator without
 * coercion and the coded FIN_ERR_* error bodies (standard shape). Call it inside an encapsulated plugin, so it
 * applies to that plugin's routes only.
 */
export function applyFinConventions (app: FastifyInstance, options: { bodyLimit?: number } = {}): void {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  installValidation(app, bodyLimit)
  app.setErrorHandler(createErrorHandler(bodyLimit))
}
