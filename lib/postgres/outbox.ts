import pg, { type Pool } from 'pg'
import { FinOptionsError } from '../errors.js'
import { migratePostgres, OUTBOX_TRACK, SCHEMA_NAME, transaction } from './migrations.js'
import type { FinOutbox, OutboxCounts, OutboxEntry, OutboxOutcome, OutboxRequest } from '../notify/outbox.js'

export interface PostgresOutboxOptions {
  /** Usually PostgresStorage's pool (`storage.pool`): it stays open when the outbox closes. Or `connectionString`. */
  pool?: Pool
  connectionString?: string
  /** @default 'fin' */
  schema?: string
}

interface Row {
  conversation_id: string
  state: OutboxEntry['state']
  due_at: string
  first_at: string
  attempt: number
  dirty: boolean
  last_status: number | null
  last_error: string | null
  updated_at: string
  trace_context: string | null
}

/** What a pool and a client share: enough to write the outbox row on either. */
interface Queryable {
  query (text: string, values: unknown[]): Promise<unknown>
}

const COLUMNS = 'conversation_id, state, due_at, first_at, attempt, dirty, last_status, last_error, updated_at, trace_context'

/**
 * The notify outbox in PostgreSQL, shared by every instance: each due sync is claimed by one instance
 * (FOR UPDATE SKIP LOCKED) for a lease; an instance that dies leaves its claim to expire and another delivers it.
 * Coalescing holds across instances: the outbox has one row per conversation.
 */
export class PostgresOutbox implements FinOutbox {
  readonly pool: Pool
  readonly #owned: boolean
  readonly #ready: Promise<void>
  readonly #table: string

  constructor (options: PostgresOutboxOptions) {
    const schema = options.schema ?? 'fin'
    if (!SCHEMA_NAME.test(schema)) throw new FinOptionsError('schema must be lowercase letters, digits and "_"')
    if ((options.pool === undefined) === (options.connectionString === undefined)) throw new FinOptionsError('give PostgresOutbox a `pool` or a `connectionString`')
    this.pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString })
    this.#owned = options.pool === undefined
    this.#table = `"${schema}".outbox`
    this.#ready = migratePostgres(this.pool, schema, OUTBOX_TRACK)
    this.#ready.catch(() => {})
  }

  async request (entry: OutboxRequest): Promise<void> {
    await this.#ready
    await this.#insert(this.pool, entry)
  }

  /**
   * Inside the caller's open transaction: a `pg` client (PostgresStorage's, or the host's own inside BEGIN) on
   * the database that holds this outbox's schema. The row commits or rolls back with the caller's transaction.
   */
  async requestIn (transaction: unknown, entry: OutboxRequest): Promise<void> {
    if (!this.joins(transaction)) {
      throw new FinOptionsError('PostgresOutbox joins only a `pg` client inside BEGIN: pair it with PostgresStorage (or your client) on the same database')
    }
    await this.#ready
    await this.#insert(transaction as Queryable, entry)
  }

  /** A `pg` client (or anything with `query`): it must be on this outbox's database, which a client cannot tell. */
  joins (transaction: unknown): boolean {
    return typeof (transaction as Partial<Queryable> | null)?.query === 'function'
  }

  async #insert (db: Queryable, { conversationId, now, window, traceContext }: OutboxRequest): Promise<void> {
    // New: pending after the window. Pending: unchanged (coalesced). In flight: dirty. Failed: starts over.
    // trace_context: the new request's when it starts a round or marks an in-flight one dirty; else the first's.
    await db.query(`INSERT INTO ${this.#table} AS o (conversation_id, state, due_at, first_at, attempt, dirty, updated_at, trace_context)
      VALUES ($1, 'pending', $2, $3, 0, false, $3, $4)
      ON CONFLICT (conversation_id) DO UPDATE SET
        trace_context = CASE o.state WHEN 'failed' THEN excluded.trace_context
          WHEN 'inflight' THEN COALESCE(excluded.trace_context, o.trace_context) ELSE COALESCE(o.trace_context, excluded.trace_context) END,
        dirty = o.dirty OR o.state = 'inflight',
        due_at = CASE WHEN o.state = 'failed' THEN excluded.due_at ELSE o.due_at END,
        first_at = CASE WHEN o.state = 'failed' THEN excluded.first_at ELSE o.first_at END,
        attempt = CASE WHEN o.state = 'failed' THEN 0 ELSE o.attempt END,
        state = CASE WHEN o.state = 'failed' THEN 'pending' ELSE o.state END,
        updated_at = excluded.updated_at`, [conversationId, now + window, now, traceContext ?? null])
  }

  async claim (now: number, limit: number, lease: number): Promise<OutboxEntry[]> {
    await this.#ready
    const { rows } = await this.pool.query<Row>(`UPDATE ${this.#table} SET state = 'inflight', lease_until = $2, updated_at = $1
      WHERE conversation_id IN (
        SELECT conversation_id FROM ${this.#table}
        WHERE (state = 'pending' AND due_at <= $1) OR (state = 'inflight' AND lease_until < $1)
        ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING ${COLUMNS}`, [now, now + lease, limit])
    return rows.map(toEntry).sort((a, b) => a.due_at - b.due_at)
  }

  async complete (conversationId: string, now: number, window: number): Promise<boolean> {
    await this.#ready
    // Lock the row first, so a call that marks it dirty meanwhile is either seen here or lands after the delete.
    return transaction(this.pool, async (client) => {
      const { rows } = await client.query<{ dirty: boolean }>(`SELECT dirty FROM ${this.#table} WHERE conversation_id = $1 FOR UPDATE`, [conversationId])
      const again = rows[0]?.dirty === true
      if (rows[0] !== undefined && !again) await client.query(`DELETE FROM ${this.#table} WHERE conversation_id = $1`, [conversationId])
      if (again) {
        await client.query(`UPDATE ${this.#table} SET state = 'pending', dirty = false, due_at = $2, first_at = $3, attempt = 0, lease_until = NULL,
          updated_at = $3 WHERE conversation_id = $1`, [conversationId, now + window, now])
      }
      return again
    })
  }

  async reschedule ({ conversationId, dueAt, attempt, status, error, now }: OutboxOutcome & { dueAt: number }): Promise<void> {
    await this.#ready
    await this.pool.query(`UPDATE ${this.#table} SET state = 'pending', due_at = $2, attempt = $3, dirty = false, last_status = $4,
      last_error = $5, lease_until = NULL, updated_at = $6 WHERE conversation_id = $1`, [conversationId, dueAt, attempt, status, error, now])
  }

  async fail ({ conversationId, attempt, status, error, now }: OutboxOutcome): Promise<void> {
    await this.#ready
    await this.pool.query(`UPDATE ${this.#table} SET state = 'failed', attempt = $2, dirty = false, last_status = $3, last_error = $4,
      lease_until = NULL, updated_at = $5 WHERE conversation_id = $1`, [conversationId, attempt, status, error, now])
  }

  async release (conversationIds: string[], now: number): Promise<void> {
    await this.#ready
    await this.pool.query(`UPDATE ${this.#table} SET state = 'pending', due_at = $2, lease_until = NULL, updated_at = $2
      WHERE conversation_id = ANY($1) AND state = 'inflight'`, [conversationIds, now])
  }

  async nextDueAt (): Promise<number | null> {
    await this.#ready
    const { rows } = await this.pool.query<{ next: string | null }>(`SELECT MIN(CASE state WHEN 'pending' THEN due_at ELSE lease_until END) AS next
      FROM ${this.#table} WHERE state <> 'failed'`)
    return rows[0]?.next == null ? null : Number(rows[0].next)
  }

  async counts (): Promise<OutboxCounts> {
    await this.#ready
    const counts = { pending: 0, inflight: 0, failed: 0 }
    const { rows } = await this.pool.query<{ state: OutboxEntry['state'], n: string }>(`SELECT state, COUNT(*) AS n FROM ${this.#table} GROUP BY state`)
    for (const row of rows) counts[row.state] = Number(row.n)
    return counts
  }

  async oldestPendingAt (): Promise<number | null> {
    await this.#ready
    const { rows } = await this.pool.query<{ oldest: string | null }>(`SELECT MIN(first_at) AS oldest FROM ${this.#table} WHERE state <> 'failed'`)
    return rows[0]?.oldest == null ? null : Number(rows[0].oldest)
  }

  async failures (): Promise<OutboxEntry[]> {
    await this.#ready
    return (await this.pool.query<Row>(`SELECT ${COLUMNS} FROM ${this.#table} WHERE state = 'failed' ORDER BY updated_at`)).rows.map(toEntry)
  }

  async close (): Promise<void> {
    await this.#ready.catch(() => {})
    if (this.#owned) await this.pool.end()
  }
}

function toEntry (row: Row): OutboxEntry {
  return {
    conversation_id: row.conversation_id,
    state: row.state,
    due_at: Number(row.due_at),
    first_at: Number(row.first_at),
    attempt: row.attempt,
    dirty: row.dirty,
    last_status: row.last_status,
    last_error: row.last_error,
    updated_at: Number(row.updated_at),
    trace_context: row.trace_context
  }
}
