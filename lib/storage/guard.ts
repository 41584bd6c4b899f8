import { FinOptionsError, FinStorageUnavailableError, isClientError } from '../errors.js'
import type { StorageTracer } from './tracer.js'
import type { FinStorage } from './types.js'

/** Every method of FinStorage the plugin calls: what a storage must have, and what the guard wraps. */
export const STORAGE_METHODS = [
  'getUser', 'createUser', 'updateUser', 'listAgents', 'upsertAgent', 'getConversation', 'listConversations', 'createConversation',
  'updateConversation', 'listMessages', 'createMessage'
] as const satisfies ReadonlyArray<keyof FinStorage>

/** Refuses, at register time, a storage that lacks a method the plugin calls. */
export function checkStorage (storage: FinStorage): FinStorage {
  const missing = STORAGE_METHODS.filter((method) => typeof (storage as unknown as Record<string, unknown>)[method] !== 'function')
  if (missing.length > 0) throw new FinOptionsError(`storage lacks ${missing.join(', ')}`)
  return storage
}

/**
 * Wraps a storage so that any failure other than the contract's coded 4xx errors becomes a
 * FIN_ERR_STORAGE_UNAVAILABLE (503) carrying the original as `cause`: the client learns nothing of the internals,
 * the log gets everything.
 */
export function guardStorage (storage: FinStorage, traced: StorageTracer = (_name, fn) => fn): FinStorage {
  const guarded: Record<string, unknown> = Object.create(storage)
  for (const name of STORAGE_METHODS) {
    // `traced`: a `fin.storage.<method>` span around the storage's own call when telemetry is on.
    const method = traced(name, (storage[name] as (...args: unknown[]) => Promise<unknown>).bind(storage))
    // No async wrapper: one .catch on the storage's own promise keeps the hot path to a single promise.
    guarded[name] = (...args: unknown[]) => {
      try {
        return method(...args).catch(unavailable)
      } catch (err) {
        return Promise.reject(unavailable(err))
      }
    }
  }
  return guarded as unknown as FinStorage
}

function unavailable (err: unknown): never {
  if (isClientError(err)) throw err
  throw new FinStorageUnavailableError({ cause: err })
}
