import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { FinValidationError } from '../errors.js'
import { CreateMessageRequest, CreateUserRequest, PostsOnlyUpdateConversationRequest, UpdateUserRequest } from '../schemas/requests.js'
import { Id } from '../schemas/types.js'

/**
 * The Ajv of the Fin routes and of the write API alike, whatever the host configured: no type coercion (a number
 * where a string is due is a 400, not silently "123"), no removal of fields, formats on.
 */
export function createAjv (): Ajv {
  const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, allowUnionTypes: true, strict: false })
  addFormats.default(ajv)
  return ajv
}

/** Attributes deeper than this are refused: they are free-form, and a deep one costs stack when serialized. */
export const MAX_ATTRIBUTE_DEPTH = 10

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

// What the write API takes: the Fin API's own request bodies, without the id that is the call's first argument.
export const MessageWrite = Type.Omit(CreateMessageRequest, ['conversation_id'])
export type MessageWrite = Static<typeof MessageWrite>
export const ConversationWrite = Type.Omit(PostsOnlyUpdateConversationRequest, ['conversation_id'])
export type ConversationWrite = Static<typeof ConversationWrite>
export const UserUpdate = Type.Omit(UpdateUserRequest, ['user_id'])
export type UserUpdate = Static<typeof UserUpdate>
export { CreateUserRequest as UserWrite }

/** A checker per input: throws FIN_ERR_VALIDATION naming the field, as the routes answer a bad body. */
export function validators (): {
  id: (value: unknown, field: string) => void
  check: (schema: TSchema, value: unknown, field: string) => void
} {
  const ajv = createAjv()
  const compiled = new Map<TSchema, ValidateFunction>()
  const check = (schema: TSchema, value: unknown, field: string): void => {
    let validate = compiled.get(schema)
    if (validate === undefined) {
      validate = ajv.compile(schema)
      compiled.set(schema, validate)
    }
    if (!validate(value)) {
      const error = validate.errors?.[0]
      const allowed = (error?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues
      const message = `${field}${error?.instancePath ?? ''} ${error?.message ?? 'is invalid'}`
      throw new FinValidationError(allowed === undefined ? message : `${message}: ${allowed.join(', ')}`)
    }
  }
  return { id: (value, field) => check(Id, value, field), check }
}
