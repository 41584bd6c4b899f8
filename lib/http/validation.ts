import type { FastifyInstance, FastifyRequest } from 'fastify'
import secureJson from 'secure-json-parse'
import { RAW_BODY, setRawBody } from '../auth/raw-body.js'
import { FinInvalidJsonError, FinValidationError } from '../errors.js'
// The Ajv and the depth rule are the write API's too (lib/writes/): one definition for routes and host calls.
import { createAjv } from '../writes/validate.js'
export { assertShallow, MAX_ATTRIBUTE_DEPTH } from '../writes/validate.js'
/** No Fin request nests deeper than this, even counting ignored fields: a deeper body is refused before parsing. */
export const MAX_BODY_DEPTH = 32

/** The deepest nesting of objects and arrays in a JSON text (strings skipped), stopping once past `limit`. */
export function jsonDepth (text: string, limit: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) {
      inString = true
    } else if (c === 123 || c === 91) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest
    } else if (c === 125 || c === 93) {
      depth--
    }
  }
  return deepest
}

/** Installs, in the encapsulated route context only, the validator and the JSON parser of the Fin routes. */
export function installValidation (app: FastifyInstance, bodyLimit: number): void {
  if (!app.hasRequestDecorator(RAW_BODY)) app.decorateRequest(RAW_BODY, undefined)
  const ajv = createAjv()
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema))
  app.setSchemaErrorFormatter((errors, dataVar) => new Error(errors.map((error) => {
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues
    const message = `${dataVar}${error.instancePath} ${error.message ?? 'is invalid'}`
    return allowed === undefined ? message : `${message}: ${allowed.join(', ')}`
  }).join('; ')))
  // Our own JSON parser, so the host's settings cannot weaken it: prototype poisoning is refused, an empty body
  // is "no body" (Fin may POST get_agents without one), and the raw text stays available for signatures.
  // Fin speaks JSON only: drop every parser this context inherited (text/plain, the host's own), then add ours.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request: FastifyRequest, body, done) => {
    const text = body as string
    setRawBody(request, text)
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    if (jsonDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
      done(new FinValidationError(`body is nested deeper than ${MAX_BODY_DEPTH} levels`), undefined)
      return
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }))
    } catch (err) {
      done(new FinInvalidJsonError((err as Error).message), undefined)
    }
  })
}
