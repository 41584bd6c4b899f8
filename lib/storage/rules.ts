import { FinObjectIdConflictError, FinOptionsError, FinUserMismatchError } from '../errors.js'
import { checkAttributes, type AttributeLimits } from './attributes.js'
import { mergeAttributes } from './records.js'
import type { StorageWriteOptions } from './types.js'

// The rules every storage adapter applies the same way, written once: adapters only find rows and write them.

/**
 * object_id: a repeat is a retry only under the same parent (the conversation of a message, the user of a
 * conversation); under another one it is a conflict (409) that reveals and writes nothing. Call it after the
 * parent is known to exist, so an unknown parent stays a 404.
 */
export function retryOrConflict (objectId: string, kind: 'message' | 'conversation', sameParent: boolean): void {
  if (!sameParent) throw objectIdConflict(objectId, kind)
}

/** The 409 of a repeated object_id under another parent (see retryOrConflict). */
export function objectIdConflict (objectId: string, kind: 'message' | 'conversation'): Error {
  return new FinObjectIdConflictError(objectId, kind, kind === 'message' ? 'conversation' : 'user')
}

/** A conversation update may change its own end-user only (POST-only update_conversation's `user`). */
export function assertConversationUser (patchUserId: string | undefined, conversationUserId: string, conversationId: string): void {
  if (patchUserId !== undefined && patchUserId !== conversationUserId) throw new FinUserMismatchError(patchUserId, conversationId)
}

/**
 * The attributes a patch leaves stored (undefined: untouched), checked against the limits: throws
 * FinAttributesTooLargeError, inside the adapter's write, so nothing is written.
 */
export function mergeWithinLimits (
  stored: Record<string, unknown> | null,
  patch: Record<string, unknown> | null | undefined,
  limits: AttributeLimits | undefined,
  owner: 'user' | 'conversation'
): Record<string, unknown> | null | undefined {
  const merged = patch === undefined ? undefined : mergeAttributes(stored, patch)
  checkAttributes(merged, limits, owner)
  return merged
}

/**
 * Runs a write's `enqueue` in a synchronous transaction (SQLite, memory): it must not return a promise, which the
 * transaction could not wait for (an outbox that writes elsewhere, asynchronously, cannot share it).
 */
export function enqueueNow (options: StorageWriteOptions | undefined, transaction: unknown): void {
  const result: unknown = options?.enqueue?.(transaction)
  if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
    // Never left to reject unhandled: the write is refused with this error instead.
    (result as Promise<unknown>).then(undefined, () => {})
    throw new FinOptionsError('this storage\'s transactions are synchronous: its outbox must write synchronously in them (SqliteOutbox on the same database, or MemoryOutbox)')
  }
}
