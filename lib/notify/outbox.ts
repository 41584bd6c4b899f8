/** A pending sync notification: one per conversation, so calls for one conversation coalesce into it. */
export interface OutboxEntry {
  conversation_id: string
  state: 'pending' | 'inflight' | 'failed'
  /** When it may be sent next (ms since the epoch). */
  due_at: number
  /** When the change it reports was first requested: retries stop after `maxAge` from here. */
  first_at: number
  /** Attempts made so far. */
  attempt: number
  /** A call came while it was in flight: after delivery it must be sent once more. */
  dirty: boolean
  last_status: number | null
  last_error: string | null
  updated_at: number
  /**
   * W3C traceparent of the span that asked for this round of the sync, for the delivery spans to link to; null
   * or absent when not tracing (and from outboxes written before it existed).
   */
  trace_context?: string | null
}

export interface OutboxCounts {
  pending: number
  inflight: number
  failed: number
}

/**
 * Where sync notifications wait until Fin has accepted them. Every method is atomic. The contract, which
 * `testFinOutbox` checks:
 * - request: a new conversation becomes pending, due after the coalescing window; a pending one stays as it is
 *   (coalesced); an in-flight one is marked dirty; a failed one starts over as pending.
 * - claim: takes up to `limit` entries that are due (or in flight with an expired lease), oldest due first, marks
 *   them in flight until `now + lease`, and returns them. No entry is held by two claimers at once.
 * - complete: after a delivery, deletes the entry, or if it was dirty makes it pending again (due after the
 *   window) and returns true.
 * - reschedule / fail / release: back to pending at a time, to failed (kept for inspection), or back to pending
 *   now (a delivery abandoned at shutdown).
 * - traceContext (optional, kept as `trace_context`): set by a request that makes the entry pending (new or
 *   failed); a request coalesced into a pending entry keeps the first one's; a request that marks an in-flight
 *   entry dirty replaces it (the next round reports that change). Kept through claim, reschedule, complete.
 * - oldestPendingAt (optional): the smallest `first_at` among entries not failed (pending or in flight).
 */
export interface FinOutbox {
  request (conversationId: string, now: number, window: number, traceContext?: string): Promise<void>
  claim (now: number, limit: number, lease: number): Promise<OutboxEntry[]>
  complete (conversationId: string, now: number, window: number): Promise<boolean>
  reschedule (conversationId: string, dueAt: number, attempt: number, status: number | null, error: string, now: number): Promise<void>
  fail (conversationId: string, attempt: number, status: number | null, error: string, now: number): Promise<void>
  release (conversationIds: string[], now: number): Promise<void>
  /** The next time something becomes claimable, or null when nothing waits. */
  nextDueAt (): Promise<number | null>
  counts (): Promise<OutboxCounts>
  /** When the oldest sync not yet delivered was first asked for (ms), or null: the age to alert on. */
  oldestPendingAt? (): Promise<number | null>
  failures (): Promise<OutboxEntry[]>
  /** At start, for an outbox only this process uses: deliveries a crash interrupted become due now. */
  recover? (now: number): Promise<void>
  close? (): Promise<void>
}

interface MemoryEntry extends OutboxEntry {
  lease_until: number | null
}

/** Keeps notifications in memory: lost with the process. For tests and for apps that accept that. */
export class MemoryOutbox implements FinOutbox {
  readonly #entries = new Map<string, MemoryEntry>()

  async request (conversationId: string, now: number, window: number, traceContext?: string): Promise<void> {
    const entry = this.#entries.get(conversationId)
    if (entry === undefined || entry.state === 'failed') {
      this.#entries.set(conversationId, {
        conversation_id: conversationId,
        state: 'pending',
        due_at: now + window,
        first_at: now,
        attempt: 0,
        dirty: false,
        last_status: null,
        last_error: null,
        updated_at: now,
        trace_context: traceContext ?? null,
        lease_until: null
      })
    } else if (entry.state === 'inflight') {
      entry.dirty = true
      entry.trace_context = traceContext ?? entry.trace_context ?? null
      entry.updated_at = now
    } else {
      entry.trace_context ??= traceContext ?? null
    }
  }

  async claim (now: number, limit: number, lease: number): Promise<OutboxEntry[]> {
    const due = [...this.#entries.values()]
      .filter((e) => (e.state === 'pending' && e.due_at <= now) || (e.state === 'inflight' && e.lease_until !== null && e.lease_until < now))
      .sort((a, b) => a.due_at - b.due_at)
      .slice(0, limit)
    for (const entry of due) {
      entry.state = 'inflight'
      entry.lease_until = now + lease
      entry.updated_at = now
    }
    return due.map(snapshot)
  }

  async complete (conversationId: string, now: number, window: number): Promise<boolean> {
    const entry = this.#entries.get(conversationId)
    if (entry === undefined) return false
    if (!entry.dirty) {
      this.#entries.delete(conversationId)
      return false
    }
    Object.assign(entry, { state: 'pending', dirty: false, due_at: now + window, first_at: now, attempt: 0, lease_until: null, updated_at: now })
    return true
  }

  async reschedule (conversationId: string, dueAt: number, attempt: number, status: number | null, error: string, now: number): Promise<void> {
    const entry = this.#entries.get(conversationId)
    if (entry === undefined) return
    Object.assign(entry, { state: 'pending', due_at: dueAt, attempt, dirty: false, last_status: status, last_error: error, lease_until: null, updated_at: now })
  }

  async fail (conversationId: string, attempt: number, status: number | null, error: string, now: number): Promise<void> {
    const entry = this.#entries.get(conversationId)
    if (entry === undefined) return
    Object.assign(entry, { state: 'failed', attempt, dirty: false, last_status: status, last_error: error, lease_until: null, updated_at: now })
  }

  async release (conversationIds: string[], now: number): Promise<void> {
    for (const id of conversationIds) {
      const entry = this.#entries.get(id)
      if (entry?.state === 'inflight') Object.assign(entry, { state: 'pending', due_at: now, lease_until: null, updated_at: now })
    }
  }

  async nextDueAt (): Promise<number | null> {
    let next: number | null = null
    for (const e of this.#entries.values()) {
      const at = e.state === 'pending' ? e.due_at : e.state === 'inflight' ? e.lease_until : null
      if (at !== null && (next === null || at < next)) next = at
    }
    return next
  }

  async counts (): Promise<OutboxCounts> {
    const counts = { pending: 0, inflight: 0, failed: 0 }
    for (const e of this.#entries.values()) counts[e.state]++
    return counts
  }

  async oldestPendingAt (): Promise<number | null> {
    let oldest: number | null = null
    for (const e of this.#entries.values()) if (e.state !== 'failed' && (oldest === null || e.first_at < oldest)) oldest = e.first_at
    return oldest
  }

  async failures (): Promise<OutboxEntry[]> {
    return [...this.#entries.values()].filter((e) => e.state === 'failed').map(snapshot)
  }

  async recover (now: number): Promise<void> {
    await this.release([...this.#entries.keys()], now)
  }
}

function snapshot (entry: MemoryEntry): OutboxEntry {
  return {
    conversation_id: entry.conversation_id,
    state: entry.state,
    due_at: entry.due_at,
    first_at: entry.first_at,
    attempt: entry.attempt,
    dirty: entry.dirty,
    last_status: entry.last_status,
    last_error: entry.last_error,
    updated_at: entry.updated_at,
    trace_context: entry.trace_context ?? null
  }
}
