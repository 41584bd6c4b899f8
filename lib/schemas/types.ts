import { Type, type SchemaOptions, type TSchema, type TUnsafe } from '@sinclair/typebox'

/**
 * JSON-Schema type arrays (`type: ['string', 'null']`) rather than TypeBox unions (`anyOf`): they read exactly like
 * the reference, and fast-json-stringify serializes them without trying each branch of an `anyOf`.
 */
export function Nullable<T extends TSchema> (schema: T): TUnsafe<T['static'] | null> {
  const { type, ...rest } = schema as unknown as { type: string }
  return Type.Unsafe<T['static'] | null>({ ...rest, type: [type, 'null'] })
}

/** A free-form JSON object (user and conversation attributes). */
export function Attributes (options: SchemaOptions = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ ...options, type: 'object', additionalProperties: true })
}

/** ISO 8601 UTC timestamp, e.g. 2025-10-27T14:30:00.000Z. */
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 UTC timestamp.' })

/** A helpdesk or Intercom identifier: a non-empty string of reasonable length. */
export const Id = Type.String({ minLength: 1, maxLength: 255 })

/** A string enum as `{ type: 'string', enum }`, like the reference (TypeBox's literal union would be an `anyOf`). */
export function StringEnum<const T extends readonly string[]> (values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] })
}
