import { Type, type Static, type TSchema } from '@sinclair/typebox'

/** RFC 7807 problem details: the `error` member of POST-only responses. */
export const ProblemDetails = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.String()
}, { description: 'RFC 7807 problem details.' })
export type ProblemDetails = Static<typeof ProblemDetails>

/**
 * The POST-only success envelope: `{ data }` only. The reference types `data` and `error` as objects and requires
 * neither, so the member that does not apply is left out rather than sent as null.
 */
export function Envelope<T extends TSchema> (data: T) {
  return Type.Object({ data })
}

/** A POST-only failure: `{ error }` only, the RFC 7807 problem. */
export const ErrorEnvelope = Type.Object({ error: ProblemDetails })

/** Standard-variant error body: Fastify's own shape, with our FIN_ERR_* code. */
export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String()
})
export type ErrorResponse = Static<typeof ErrorResponse>
