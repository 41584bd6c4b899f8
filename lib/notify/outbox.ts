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

/** One call for a sync: what `request` and `requestIn` take. */
export interface OutboxRequest {
  conversationId: string
  /** ms since the epoch */
  now: number
  /** The coalescing window, in ms: a new entry is due at `now + window`. */
  window: number
  /** W3C traceparent of the span that asked, when tracing. */
  traceContext?: string | undefined
}

/** How a delivery attempt ended, for `reschedule` (due again at `dueAt`) and `fail` (given up). */
export interface OutboxOutcome {
  conversationId: string
  attempt: number
  status: number | null
  error: string
  now: number
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
 * - requestIn (optional): `request` inside the caller's open transaction, so the entry commits or rolls back with
 *   the caller's own write (the transactional outbox). `transaction` is what the storage's write hands to its
 *   `enqueue` (or what a host passes to `notifyFin`): a better-sqlite3 Database inside `db.transaction()`, a `pg`
 *   client inside BEGIN, MemoryStorage's write. Where the transaction is synchronous (SQLite, memory) it must
 *   write synchronously and throw (not reject), so the transaction sees the failure; a transaction it cannot join
 *   is refused with FIN_ERR_OPTIONS, never written elsewhere.
 */
export interface FinOutbox {
  request (entry: OutboxRequest): Promise<void>
  requestIn? (transaction: unknown, entry: OutboxRequest): void | Promise<void>
  /**
   * Whether `requestIn` can write inside this transaction (same database). When false, the plugin enqueues after
   * the storage's write instead (two writes, as without requestIn). Absent: every transaction is joinable.
   */
  joins? (transaction: unknown): boolean
  claim (now: number, limit: number, lease: number): Promise<OutboxEntry[]>
  complete (conversationId: string, now: number, window: number): Promise<boolean>
  reschedule (outcome: OutboxOutcome & { dueAt: number }): Promise<void>
  fail (outcome: OutboxOutcome): Promise<void>
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

/**
 * MemoryStorage's side of a transaction: actions to run once its write has succeeded, in the same tick. A
 * MemoryOutbox joins it by deferring its insert there (a write that fails leaves no entry).
 */
export interface MemoryTransaction {
  afterWrite (action: () => void): void
}

function isMemoryTransaction (value: unknown): value is MemoryTransaction {
  return typeof (value as Partial<MemoryTransaction> | null)?.afterWrite === 'function'
}

/** Keeps notifications in memory: lost with the process. For tests and for apps that accept that. */
export class MemoryOutbox implements FinOutbox {
  readonly #entries = new Map<string, MemoryEntry>()

  async request (entry: OutboxRequest): Promise<void> {
    this.#request(entry)
  }

  /** In MemoryStorage's write: inserted when that write succeeds, in the same tick. Any other transaction: at once. */
  requestIn (transaction: unknown, entry: OutboxRequest): void {
    if (isMemoryTransaction(transaction)) transaction.afterWrite(() => this.#request(entry))
    else this.#request(entry)
  }

  /** Only MemoryStorage's writes: a database's transaction could roll back after the insert here. */
  joins (transaction: unknown): boolean {
    return isMemoryTransaction(transaction)
  }

  #request ({ conversationId, now, window, traceContext }: OutboxRequest): void {
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

  async reschedule ({ conversationId, dueAt, attempt, status, error, now }: OutboxOutcome & { dueAt: number }): Promise<void> {
    const entry = this.#entries.get(conversationId)
    if (entry === undefined) return
    Object.assign(entry, { state: 'pending', due_at: dueAt, attempt, dirty: false, last_status: status, last_error: error, lease_until: null, updated_at: now })
  }

  async fail ({ conversationId, attempt, status, error, now }: OutboxOutcome): Promise<void> {
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
