import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3'
import { FinOptionsError } from '../errors.js'
import { migrate, outboxMigrations } from './migrations.js'
import type { FinOutbox, OutboxCounts, OutboxEntry, OutboxOutcome, OutboxRequest } from '../notify/outbox.js'

export interface SqliteOutboxOptions {
  /** The database, usually SqliteStorage's (`storage.db`): it stays open when the outbox closes. Or `path`. */
  database?: Database
  /** A file of its own. */
  path?: string
  /** @default 'fin_' */
  tablePrefix?: string
}

type StatementName = 'request' | 'claim' | 'get' | 'remove' | 'again' | 'reschedule' | 'fail' | 'release' | 'nextDue' | 'counts' | 'oldest' | 'failures' | 'recover'

interface Row {
  conversation_id: string
  state: OutboxEntry['state']
  due_at: number
  first_at: number
  attempt: number
  dirty: number
  last_status: number | null
  last_error: string | null
  updated_at: number
  trace_context: string | null
}

/**
 * The notify outbox in SQLite, next to SqliteStorage's tables: an accepted sync survives a crash or restart and is
 * delivered after it. Meant for one notifier process per database (it recovers interrupted deliveries at start).
 */
export class SqliteOutbox implements FinOutbox {
  readonly db: Database
  readonly #owned: boolean
  readonly #statements: Record<StatementName, Statement>
  readonly #requestSql: string
  /** The request statement prepared on other connections to the same file (a host's own Database). */
  readonly #foreign = new WeakMap<Database, Statement>()

  constructor (options: SqliteOutboxOptions) {
    const p = options.tablePrefix ?? 'fin_'
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,30}$/.test(p)) throw new FinOptionsError('tablePrefix must be letters, digits and "_"')
    if ((options.path === undefined) === (options.database === undefined)) throw new FinOptionsError('give SqliteOutbox a `database` or a `path`')
    this.db = options.database ?? new BetterSqlite3(options.path!)
    this.#owned = options.database === undefined
    if (this.#owned) this.db.pragma('journal_mode = WAL')
    migrate(this.db, `${p}outbox_migrations`, outboxMigrations(p))
    const columns = 'conversation_id, state, due_at, first_at, attempt, dirty, last_status, last_error, updated_at, trace_context'
    const prepared = {
      // New: pending after the window. Pending: unchanged (coalesced). In flight: dirty. Failed: starts over.
      // trace_context: the new request's when it starts a round (new, failed) or marks an in-flight one dirty;
      // coalesced into a pending one, the first request's.
      request: `INSERT INTO ${p}outbox (conversation_id, state, due_at, first_at, attempt, dirty, updated_at, trace_context)
        VALUES (@id, 'pending', @due, @now, 0, 0, @now, @trace)
        ON CONFLICT (conversation_id) DO UPDATE SET
          trace_context = CASE state WHEN 'failed' THEN excluded.trace_context
            WHEN 'inflight' THEN COALESCE(excluded.trace_context, trace_context) ELSE COALESCE(trace_context, excluded.trace_context) END,
          dirty = CASE WHEN state = 'inflight' THEN 1 ELSE dirty END,
          due_at = CASE WHEN state = 'failed' THEN excluded.due_at ELSE due_at END,
          first_at = CASE WHEN state = 'failed' THEN excluded.first_at ELSE first_at END,
          attempt = CASE WHEN state = 'failed' THEN 0 ELSE attempt END,
          state = CASE WHEN state = 'failed' THEN 'pending' ELSE state END,
          updated_at = excluded.updated_at`,
      claim: `UPDATE ${p}outbox SET state = 'inflight', lease_until = @lease, updated_at = @now
        WHERE conversation_id IN (
          SELECT conversation_id FROM ${p}outbox
          WHERE (state = 'pending' AND due_at <= @now) OR (state = 'inflight' AND lease_until < @now)
          ORDER BY due_at LIMIT @limit)
        RETURNING ${columns}`,
      get: `SELECT dirty FROM ${p}outbox WHERE conversation_id = ?`,
      remove: `DELETE FROM ${p}outbox WHERE conversation_id = ?`,
      again: `UPDATE ${p}outbox SET state = 'pending', dirty = 0, due_at = @due, first_at = @now, attempt = 0, lease_until = NULL, updated_at = @now
        WHERE conversation_id = @id`,
      reschedule: `UPDATE ${p}outbox SET state = 'pending', due_at = @due, attempt = @attempt, dirty = 0, last_status = @status,
        last_error = @error, lease_until = NULL, updated_at = @now WHERE conversation_id = @id`,
      fail: `UPDATE ${p}outbox SET state = 'failed', attempt = @attempt, dirty = 0, last_status = @status, last_error = @error,
        lease_until = NULL, updated_at = @now WHERE conversation_id = @id`,
      release: `UPDATE ${p}outbox SET state = 'pending', due_at = @now, lease_until = NULL, updated_at = @now
        WHERE conversation_id = @id AND state = 'inflight'`,
      nextDue: `SELECT MIN(CASE state WHEN 'pending' THEN due_at ELSE lease_until END) AS next FROM ${p}outbox WHERE state != 'failed'`,
      counts: `SELECT state, COUNT(*) AS n FROM ${p}outbox GROUP BY state`,
      oldest: `SELECT MIN(first_at) AS oldest FROM ${p}outbox WHERE state != 'failed'`,
      failures: `SELECT ${columns} FROM ${p}outbox WHERE state = 'failed' ORDER BY updated_at`,
      recover: `UPDATE ${p}outbox SET state = 'pending', due_at = @now, lease_until = NULL WHERE state = 'inflight'`
    }
    this.#requestSql = prepared.request
    this.#statements = Object.fromEntries(Object.entries(prepared).map(([name, sql]) => [name, this.db.prepare(sql)])) as Record<StatementName, Statement>
  }

  async request (entry: OutboxRequest): Promise<void> {
    this.#statements.request.run(requestParams(entry))
  }

  /**
   * Inside an open transaction of a better-sqlite3 Database (SqliteStorage's, or the host's own `db.transaction()`
   * on the same file): synchronous, so a failure throws into that transaction and rolls it back.
   */
  requestIn (transaction: unknown, entry: OutboxRequest): void {
    if (!this.joins(transaction)) throw new FinOptionsError('SqliteOutbox joins only a better-sqlite3 Database on its own file: pair it with SqliteStorage (or your Database) on the same file')
    if (!transaction.inTransaction) throw new FinOptionsError('notifyFin\'s `transaction` must be a better-sqlite3 Database inside db.transaction()')
    this.#statementOn(transaction).run(requestParams(entry))
  }

  /** A Database on this outbox's file (the same connection, or another one on the same path). */
  joins (transaction: unknown): transaction is Database {
    return isDatabase(transaction) && (transaction === this.db || (transaction.name === this.db.name && this.db.name !== ':memory:'))
  }

  #statementOn (db: Database): Statement {
    if (db === this.db) return this.#statements.request
    let statement = this.#foreign.get(db)
    if (statement === undefined) {
      statement = db.prepare(this.#requestSql)
      this.#foreign.set(db, statement)
    }
    return statement
  }

  async claim (now: number, limit: number, lease: number): Promise<OutboxEntry[]> {
    const rows = this.db.transaction(() => this.#statements.claim.all({ now, lease: now + lease, limit }) as Row[]).immediate()
    return rows.map(toEntry).sort((a, b) => a.due_at - b.due_at)
  }

  async complete (conversationId: string, now: number, window: number): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.#statements.get.get(conversationId) as { dirty: number } | undefined
      if (row === undefined) return false
      if (row.dirty === 0) {
        this.#statements.remove.run(conversationId)
        return false
      }
      this.#statements.again.run({ id: conversationId, due: now + window, now })
      return true
    }).immediate()
  }

  async reschedule ({ conversationId, dueAt, attempt, status, error, now }: OutboxOutcome & { dueAt: number }): Promise<void> {
    this.#statements.reschedule.run({ id: conversationId, due: dueAt, attempt, status, error, now })
  }

  async fail ({ conversationId, attempt, status, error, now }: OutboxOutcome): Promise<void> {
    this.#statements.fail.run({ id: conversationId, attempt, status, error, now })
  }

  async release (conversationIds: string[], now: number): Promise<void> {
    this.db.transaction(() => { for (const id of conversationIds) this.#statements.release.run({ id, now }) }).immediate()
  }

  async nextDueAt (): Promise<number | null> {
    return (this.#statements.nextDue.get() as { next: number | null }).next
  }

  async counts (): Promise<OutboxCounts> {
    const counts = { pending: 0, inflight: 0, failed: 0 }
    for (const row of this.#statements.counts.all() as Array<{ state: OutboxEntry['state'], n: number }>) counts[row.state] = row.n
    return counts
  }

  async oldestPendingAt (): Promise<number | null> {
    return (this.#statements.oldest.get() as { oldest: number | null }).oldest
  }

  async failures (): Promise<OutboxEntry[]> {
    return (this.#statements.failures.all() as Row[]).map(toEntry)
  }

  async recover (now: number): Promise<void> {
    this.#statements.recover.run({ now })
  }

  async close (): Promise<void> {
    if (this.#owned && this.db.open) this.db.close()
  }
}

function requestParams ({ conversationId, now, window, traceContext }: OutboxRequest): Record<string, unknown> {
  return { id: conversationId, due: now + window, now, trace: traceContext ?? null }
}

function isDatabase (value: unknown): value is Database {
  const db = value as Partial<Database> | null
  return typeof db?.prepare === 'function' && typeof db.inTransaction === 'boolean' && typeof db.name === 'string'
}

function toEntry (row: Row): OutboxEntry {
  return {
    conversation_id: row.conversation_id,
    state: row.state,
    due_at: row.due_at,
    first_at: row.first_at,
    attempt: row.attempt,
    dirty: row.dirty === 1,
    last_status: row.last_status,
    last_error: row.last_error,
    updated_at: row.updated_at,
    trace_context: row.trace_context
  }
}
