import type { FinStorage } from '../../../lib/index.js'
import { SqliteStorage } from '../../../lib/sqlite/index.js'

/**
 * The conversations Fin handed over (set the assignee to null) that nobody was assigned to since: what "Needs a
 * human" lists. Kept beside the helpdesk's data, so a restart or another instance sees the same list.
 */
export interface HandoverMarks {
  add (conversationId: string): Promise<void>
  delete (conversationId: string): Promise<void>
  /** Conversation id to when Fin handed it over (ISO 8601). */
  list (): Promise<Map<string, string>>
}

/** The marks in the helpdesk's own database: a table in the SQLite file, or in the PostgreSQL schema. */
export async function handoverMarks (storage: FinStorage): Promise<HandoverMarks> {
  if (storage instanceof SqliteStorage) return sqliteMarks(storage)
  const postgres = storage as Partial<PostgresLike>
  if (postgres.pool !== undefined && typeof postgres.schema === 'string') return postgresMarks(postgres as PostgresLike)
  return memoryMarks()
}

export function memoryMarks (): HandoverMarks {
  const marks = new Map<string, string>()
  return {
    add: async (id) => { if (!marks.has(id)) marks.set(id, new Date().toISOString()) },
    delete: async (id) => { marks.delete(id) },
    list: async () => new Map(marks)
  }
}

function sqliteMarks (storage: SqliteStorage): HandoverMarks {
  const db = storage.db
  db.exec('CREATE TABLE IF NOT EXISTS inbox_handovers (conversation_id TEXT PRIMARY KEY, at TEXT NOT NULL)')
  const add = db.prepare('INSERT OR IGNORE INTO inbox_handovers (conversation_id, at) VALUES (?, ?)')
  const remove = db.prepare('DELETE FROM inbox_handovers WHERE conversation_id = ?')
  const list = db.prepare('SELECT conversation_id, at FROM inbox_handovers')
  return {
    add: async (id) => { add.run(id, new Date().toISOString()) },
    delete: async (id) => { remove.run(id) },
    list: async () => new Map((list.all() as Array<{ conversation_id: string, at: string }>).map((row) => [row.conversation_id, row.at]))
  }
}

/** What the inbox needs of PostgresStorage (typed structurally, so `npm start` on SQLite never loads pg). */
interface PostgresLike {
  pool: { query: (sql: string, values?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }> }
  schema: string
}

async function postgresMarks ({ pool, schema }: PostgresLike): Promise<HandoverMarks> {
  const table = `"${schema}".inbox_handovers`
  try {
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (conversation_id TEXT PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now())`)
  } catch (err) {
    // Two instances starting at once: IF NOT EXISTS can still lose the race on the catalog; the table is there.
    if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P07') throw err
  }
  return {
    add: async (id) => { await pool.query(`INSERT INTO ${table} (conversation_id) VALUES ($1) ON CONFLICT DO NOTHING`, [id]) },
    delete: async (id) => { await pool.query(`DELETE FROM ${table} WHERE conversation_id = $1`, [id]) },
    list: async () => new Map((await pool.query(`SELECT conversation_id, at FROM ${table}`)).rows
      .map((row) => [String(row.conversation_id), new Date(row.at as string).toISOString()]))
  }
}
