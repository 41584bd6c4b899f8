import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Nullable } from './types.js'

/** RFC 7807 problem details: the `error` member of POST-only responses. */
export const ProblemDetails = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.String()
}, { description: 'RFC 7807 problem details.' })
export type ProblemDetails = Static<typeof ProblemDetails>

/** The POST-only envelope: `data` on success (error null), `error` on failure (data null). */
export function Envelope<T extends TSchema> (data: T) {
  return Type.Object({
    data: Nullable(data),
    error: Nullable(ProblemDetails)
  })
}

/** A POST-only failure: `data` null, `error` the problem. */
export const ErrorEnvelope = Type.Object({ data: Type.Null(), error: ProblemDetails })

/** Standard-variant error body: Fastify's own shape, with our FIN_ERR_* code. */
export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String()
})
export type ErrorResponse = Static<typeof ErrorResponse>
