import type { FastifyRequest } from 'fastify'

/**
 * The rate-limit key of the client a request authenticated as (a token fingerprint, or `oauth:{client id}`). On a
 * symbol, like the raw body: it is ours alone and appears on no host type.
 */
export const CLIENT: unique symbol = Symbol('fastify-fin-helpdesk.client')

type WithClient = FastifyRequest & { [CLIENT]?: string }

export function setClient (request: FastifyRequest, key: string): void {
  (request as WithClient)[CLIENT] = key
}

export function client (request: FastifyRequest): string | undefined {
  return (request as WithClient)[CLIENT]
}
