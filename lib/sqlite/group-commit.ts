import type { Database, Transaction } from 'better-sqlite3'

interface Pending {
  fn: () => unknown
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

/**
 * Group commit: the writes asked for in one turn of the event loop run in one IMMEDIATE transaction, each inside a
 * savepoint of its own (one that throws rolls back alone and rejects alone), and every caller is answered after
 * the COMMIT. Durability and idempotency are those of one transaction per write: nothing is acknowledged before it
 * is committed, and a write sees the ones before it in the group (a retried object_id finds the first).
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
      const only = batch[0]!
      try {
        only.resolve(this.#single.immediate(only.fn))
      } catch (err) {
        only.reject(err)
      }
      return
    }
    let results: Array<{ ok: boolean, value: unknown }>
    try {
      results = this.#group.immediate(batch)
    } catch (err) {
      // The COMMIT itself failed (lock timeout, I/O): nothing of the group is stored.
      for (const pending of batch) pending.reject(err)
      return
    }
    for (let i = 0; i < batch.length; i++) {
      const result = results[i]!
      if (result.ok) batch[i]!.resolve(result.value)
      else batch[i]!.reject(result.value)
    }
  }
}
