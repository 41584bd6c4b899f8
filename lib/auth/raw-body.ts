import type { FastifyRequest } from 'fastify'

/**
 * The JSON body as received, kept for the signature check. On a symbol, not a named request property: it is ours
 * alone, so it appears on no host type (a `declare module` would put it on every FastifyRequest of the app).
 * http/validation.ts declares the slot in its context, so every request object keeps one shape.
 */
export const RAW_BODY: unique symbol = Symbol('fastify-fin-helpdesk.rawBody')

type WithRawBody = FastifyRequest & { [RAW_BODY]?: string }

export function setRawBody (request: FastifyRequest, text: string): void {
  (request as WithRawBody)[RAW_BODY] = text
}

export function rawBody (request: FastifyRequest): string | undefined {
  return (request as WithRawBody)[RAW_BODY]
}
