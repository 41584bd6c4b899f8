import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import secureJson from 'secure-json-parse'
import { RAW_BODY, setRawBody } from '../auth/raw-body.js'
import { FinInvalidJsonError, FinValidationError } from '../errors.js'

/**
 * The Fin routes validate with their own Ajv, whatever the host configured: no type coercion (a number where a
 * string is due is a 400, not silently "123"), no removal of fields, formats on.
 */
function createAjv (): Ajv {
  const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, allowUnionTypes: true, strict: false })
  addFormats.default(ajv)
  return ajv
}

/** Attributes deeper than this are refused: they are free-form, and a deep one costs stack when serialized. */
export const MAX_ATTRIBUTE_DEPTH = 10
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

/** Throws FIN_ERR_VALIDATION when a free-form object is nested deeper than MAX_ATTRIBUTE_DEPTH. */
export function assertShallow (value: unknown, field: string): void {
  if (depth(value, 0) > MAX_ATTRIBUTE_DEPTH) {
    throw new FinValidationError(`${field} is nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels`)
  }
}

function depth (value: unknown, level: number): number {
  if (value === null || typeof value !== 'object' || level > MAX_ATTRIBUTE_DEPTH) return level
  let deepest = level + 1
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depth(child, level + 1))
    if (deepest > MAX_ATTRIBUTE_DEPTH) break
  }
  return deepest
}
