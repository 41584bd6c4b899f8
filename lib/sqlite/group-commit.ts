import type { Database, Transaction } from 'better-sqlite3'

interface Pending {
  fn: () => unknown
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

/** SQLite itself ended the group's transaction (SQLITE_FULL, IOERR, NOMEM, BUSY can): nothing of the group is stored. */
class GroupAborted extends Error {}

/**
 * Group commit: the writes asked for in one turn of the event loop run in one IMMEDIATE transaction, each inside a
 * savepoint of its own (one that throws rolls back alone and rejects alone), and every caller is answered after
 * the COMMIT. Durability and idempotency are those of one transaction per write: nothing is acknowledged before it
 * is committed, and a write sees the ones before it in the group (a retried object_id finds the first).
 *
 * Some errors make SQLite roll back the whole transaction, not just the statement (disk full, I/O, out of memory).
 * The group then stops at once: the writes after it would otherwise each commit on their own in autocommit mode
 * while their callers are told the group failed. Every write of an aborted group is then run again alone, in its
 * own transaction, so each caller gets its own outcome: stored and answered, or not stored and refused with the
 * real error.
 */
export class GroupCommit {
  readonly #single: Transaction<(fn: () => unknown) => unknown>
  readonly #group: Transaction<(batch: Pending[]) => Array<{ ok: boolean, value: unknown }>>
  #queue: Pending[] = []

  constructor (db: Database) {
    // Made once: db.transaction() per write allocates a wrapper each time.
    const savepoint = db.transaction((fn: () => unknown) => fn())
    this.#single = savepoint
    this.#group = db.transaction((batch: Pending[]) => batch.map(({ fn }) => {
      try {
        return { ok: true, value: savepoint(fn) }
      } catch (err) {
        // The savepoint could not be rolled back alone: SQLite has already rolled back the whole transaction.
        if (!db.inTransaction) throw new GroupAborted('the group transaction was rolled back by SQLite', { cause: err })
        return { ok: false, value: err }
      }
    }))
  }

  run<T> (fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // setImmediate runs after the poll phase: by then every request that arrived in this turn has queued its write.
      if (this.#queue.length === 0) setImmediate(() => this.flush())
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject })
    })
  }

  /** Commits what is queued now (also called before the database closes). */
  flush (): void {
    const batch = this.#queue
    if (batch.length === 0) return
    this.#queue = []
    if (batch.length === 1) {
      this.#alone(batch[0]!)
      return
    }
    let results: Array<{ ok: boolean, value: unknown }>
    try {
      results = this.#group.immediate(batch)
    } catch (err) {
      // Rolled back by SQLite midway: nothing is stored, so each write gets its own chance and its own answer.
      if (err instanceof GroupAborted) {
        for (const pending of batch) this.#alone(pending)
        return
      }
      // BEGIN or COMMIT failed (lock timeout, I/O): the wrapper rolled back, nothing of the group is stored.
      for (const pending of batch) pending.reject(err)
      return
    }
    for (let i = 0; i < batch.length; i++) {
      const result = results[i]!
      if (result.ok) batch[i]!.resolve(result.value)
      else batch[i]!.reject(result.value)
    }
  }

  /** One write in one IMMEDIATE transaction: committed and resolved, or rolled back and rejected with its error. */
  #alone (pending: Pending): void {
    try {
      pending.resolve(this.#single.immediate(pending.fn))
    } catch (err) {
      pending.reject(err)
    }
  }
}
