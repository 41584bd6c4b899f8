import { FinAttributesTooLargeError, FinOptionsError } from '../errors.js'

/** Bounds on the free-form `attributes` a user or a conversation may hold, checked on the merged result. */
export interface FinAttributeLimits {
  /** Most top-level keys. @default 500 */
  maxKeys?: number
  /** Most bytes of the attributes serialized as JSON (UTF-8). @default 131072 (128 KiB) */
  maxBytes?: number
}

/** The limits a storage checks: what `attributeLimits` resolves to. */
export interface AttributeLimits {
  maxKeys: number
  maxBytes: number
}

export const DEFAULT_ATTRIBUTE_LIMITS: AttributeLimits = { maxKeys: 500, maxBytes: 128 * 1024 }

/** Completes and checks the `attributeLimits` option at register time; false turns the limits off. */
export function resolveAttributeLimits (option: false | FinAttributeLimits | undefined): AttributeLimits | undefined {
  if (option === false) return undefined
  if (option !== undefined && (option === null || typeof option !== 'object')) throw new FinOptionsError('attributeLimits must be an object or false')
  const limits = { ...DEFAULT_ATTRIBUTE_LIMITS, ...option }
  for (const key of ['maxKeys', 'maxBytes'] as const) {
    if (!Number.isInteger(limits[key]) || limits[key] <= 0) throw new FinOptionsError(`attributeLimits.${key} must be a positive integer`)
  }
  return limits
}

/**
 * Throws FinAttributesTooLargeError when `attributes` (the stored value after a merge, or a new one) exceed
 * `limits`. Storages call it before writing, inside their write, so nothing is written when it throws.
 */
export function checkAttributes (attributes: Record<string, unknown> | null | undefined, limits: AttributeLimits | undefined, owner: 'user' | 'conversation'): void {
  if (limits === undefined || attributes === null || attributes === undefined) return
  const keys = Object.keys(attributes).length
  if (keys > limits.maxKeys) throw new FinAttributesTooLargeError(owner, `${keys} keys`, `${limits.maxKeys} keys`)
  const bytes = Buffer.byteLength(JSON.stringify(attributes))
  if (bytes > limits.maxBytes) throw new FinAttributesTooLargeError(owner, `${bytes} bytes`, `${limits.maxBytes} bytes`)
}
