import type { Session } from 'fastify'
import type { FinStorage } from '../../../lib/index.js'
import { SqliteStorage } from '../../../lib/sqlite/index.js'

type Callback = (err?: unknown) => void
type GetCallback = (err: unknown, session?: Session | null) => void

/** @fastify/session's store interface (express-session's), callbacks and all. */
export interface InboxSessionStore {
  set (sessionId: string, session: Session, callback: Callback): void
  get (sessionId: string, callback: GetCallback): void
  destroy (sessionId: string, callback: Callback): void
}

interface Rows {
  get (id: string, now: string): Promise<string | undefined>
  set (id: string, data: string, expires: string, now: string): Promise<void>
  destroy (id: string): Promise<void>
}

/**
 * The inbox's sessions in the helpdesk's own database (a table in the SQLite file or the PostgreSQL schema): every
 * instance honours a sign-in made on another, a restart keeps them (with a fixed INBOX_SESSION_SECRET), and a
 * sign-out ends the session everywhere. Expired rows are purged as new sessions are written. Undefined (the
 * library's memory store) for a storage of another kind.
 */
export async function sessionStore (storage: FinStorage): Promise<InboxSessionStore | undefined> {
  const rows = await tableOf(storage)
  if (rows === undefined) return undefined
  const expiresOf = (session: Session): string =>
    new Date(session.cookie.expires ?? Date.now() + (session.cookie.originalMaxAge ?? 0)).toISOString()
  return {
    get: (id, callback) => {
      rows.get(id, new Date().toISOString()).then((data) => callback(null, data === undefined ? null : JSON.parse(data) as Session), callback)
    },
    set: (id, session, callback) => {
      rows.set(id, JSON.stringify(session), expiresOf(session), new Date().toISOString()).then(() => callback(), callback)
    },
    destroy: (id, callback) => {
      rows.destroy(id).then(() => callback(), callback)
    }
  }
}

async function tableOf (storage: FinStorage): Promise<Rows | undefined> {
  if (storage instanceof SqliteStorage) {
    const db = storage.db
    db.exec('CREATE TABLE IF NOT EXISTS inbox_sessions (id TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at TEXT NOT NULL)')
    const get = db.prepare('SELECT data FROM inbox_sessions WHERE id = ? AND expires_at > ?').pluck()
    const set = db.prepare('INSERT INTO inbox_sessions (id, data, expires_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at')
    const purge = db.prepare('DELETE FROM inbox_sessions WHERE expires_at <= ?')
    const destroy = db.prepare('DELETE FROM inbox_sessions WHERE id = ?')
    return {
      get: async (id, now) => get.get(id, now) as string | undefined,
      set: async (id, data, expires, now) => { purge.run(now); set.run(id, data, expires) },
      destroy: async (id) => { destroy.run(id) }
    }
  }
  const postgres = storage as Partial<PostgresLike>
  if (postgres.pool === undefined || typeof postgres.schema !== 'string') return undefined
  const { pool, schema } = postgres as PostgresLike
  const table = `"${schema}".inbox_sessions`
  try {
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`)
  } catch (err) {
    // Two instances starting at once: IF NOT EXISTS can still lose the race on the catalog; the table is there.
    if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P07') throw err
  }
  return {
    get: async (id, now) => (await pool.query(`SELECT data FROM ${table} WHERE id = $1 AND expires_at > $2`, [id, now])).rows[0]?.data as string | undefined,
    set: async (id, data, expires, now) => {
      await pool.query(`DELETE FROM ${table} WHERE expires_at <= $1`, [now])
      await pool.query(`INSERT INTO ${table} (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`, [id, data, expires])
    },
    destroy: async (id) => { await pool.query(`DELETE FROM ${table} WHERE id = $1`, [id]) }
  }
}

/** What the inbox needs of PostgresStorage (typed structurally, so `npm start` on SQLite never loads pg). */
interface PostgresLike {
  pool: { query: (sql: string, values?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }> }
  schema: string
}
