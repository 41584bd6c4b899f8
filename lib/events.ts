import { FinUnknownEventError } from './errors.js'
import type { Conversation, EndUser, Message } from './schemas/models.js'

/** Every event the plugin emits, with its payload. Payloads are read-only snapshots. */
export interface FinEventMap {
  'user.created': { integration: string, user: EndUser }
  'user.updated': { integration: string, user: EndUser }
  'conversation.created': { integration: string, conversation: Conversation, message: Message }
  'conversation.updated': { integration: string, conversation: Conversation }
  /** Fin sent `assignee_id: null`: a human must take over. `previous_assignee_id` is null on a repeated handover. */
  'conversation.handover': { integration: string, conversation: Conversation, previous_assignee_id: string | null }
  'message.created': { integration: string, message: Message }
  /** A sync is in the outbox, committed: Fin will be told (after `coalesceWindow`). Not for a host's own transaction. */
  'notify.queued': { integration: string, kind: 'sync', conversation_id: string }
  /** Fin accepted a webhook call. */
  'notify.sent': { integration: string, kind: 'sync' | 'typing', conversation_id: string, attempt: number, status: number, latency_ms: number }
  /** A webhook call failed and will be retried after `delay_ms`. */
  'notify.retry': { integration: string, kind: 'sync' | 'typing', conversation_id: string, attempt: number, status: number | null, error: string, delay_ms: number }
  /** A notification was given up on: rejected by Fin, too old, or (typing) stale. */
  'notify.failed': { integration: string, kind: 'sync' | 'typing', conversation_id: string, attempt: number, status: number | null, reason: string }
}

export type FinEventName = keyof FinEventMap
export type FinEventListener<E extends FinEventName> = (payload: FinEventMap[E]) => void | Promise<void>

// A record, not an array: `satisfies` then fails to compile when an event is added to FinEventMap but not here.
const EVENTS = {
  'user.created': true,
  'user.updated': true,
  'conversation.created': true,
  'conversation.updated': true,
  'conversation.handover': true,
  'message.created': true,
  'notify.queued': true,
  'notify.sent': true,
  'notify.retry': true,
  'notify.failed': true
} as const satisfies Record<FinEventName, true>

export const FIN_EVENT_NAMES: readonly FinEventName[] = Object.keys(EVENTS) as FinEventName[]

interface ErrorLogger {
  error (obj: object, msg: string): void
}

/**
 * A typed emitter whose listeners cannot hurt the request that triggered them: they are called after storage
 * succeeded, a listener that throws or rejects is logged, and the next listener still runs. Async listeners are
 * not awaited, so they never delay Fin's response.
 */
export class FinEvents {
  readonly #listeners = new Map<FinEventName, Set<FinEventListener<never>>>()
  readonly #log: ErrorLogger

  constructor (log: ErrorLogger) {
    this.#log = log
    for (const name of FIN_EVENT_NAMES) this.#listeners.set(name, new Set())
  }

  on<E extends FinEventName> (event: E, listener: FinEventListener<E>): this {
    this.#set(event).add(listener as FinEventListener<never>)
    return this
  }

  off<E extends FinEventName> (event: E, listener: FinEventListener<E>): this {
    this.#set(event).delete(listener as FinEventListener<never>)
    return this
  }

  /** Resolves with the next payload of `event`. */
  once<E extends FinEventName> (event: E): Promise<FinEventMap[E]> {
    return new Promise((resolve) => {
      const listener: FinEventListener<E> = (payload) => {
        this.off(event, listener)
        resolve(payload)
      }
      this.on(event, listener)
    })
  }

  listenerCount (event: FinEventName): number {
    return this.#set(event).size
  }

  emit<E extends FinEventName> (event: E, payload: FinEventMap[E]): void {
    for (const listener of this.#set(event)) {
      try {
        const result = (listener as FinEventListener<E>)(payload)
        if (result !== undefined && typeof result.then === 'function') {
          result.then(undefined, (err: unknown) => this.#failed(event, err))
        }
      } catch (err) {
        this.#failed(event, err)
      }
    }
  }

  #set (event: FinEventName): Set<FinEventListener<never>> {
    const set = this.#listeners.get(event)
    if (set === undefined) throw new FinUnknownEventError(String(event))
    return set
  }

  #failed (event: FinEventName, err: unknown): void {
    this.#log.error({ err, event }, 'fastify-fin-helpdesk: an event listener failed')
  }
}
