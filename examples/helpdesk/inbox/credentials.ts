import type { FinStorage } from '../../../lib/index.js'
import { SqliteStorage } from '../../../lib/sqlite/index.js'

/**
 * The agents' password hashes, kept beside the helpdesk's data (a table in the SQLite file or the PostgreSQL
 * schema), so a restart or another instance signs the same agents in. Keyed by agent id.
 */
export interface CredentialStore {
  get (agentId: string): Promise<string | undefined>
  set (agentId: string, hash: string): Promise<void>
  delete (agentId: string): Promise<void>
}

export async function credentialStore (storage: FinStorage): Promise<CredentialStore> {
  if (storage instanceof SqliteStorage) {
    const db = storage.db
    db.exec('CREATE TABLE IF NOT EXISTS inbox_credentials (agent_id TEXT PRIMARY KEY, hash TEXT NOT NULL)')
    const get = db.prepare('SELECT hash FROM inbox_credentials WHERE agent_id = ?').pluck()
    const set = db.prepare('INSERT INTO inbox_credentials (agent_id, hash) VALUES (?, ?) ON CONFLICT (agent_id) DO UPDATE SET hash = excluded.hash')
    const remove = db.prepare('DELETE FROM inbox_credentials WHERE agent_id = ?')
    return {
      get: async (id) => get.get(id) as string | undefined,
      set: async (id, hash) => { set.run(id, hash) },
      delete: async (id) => { remove.run(id) }
    }
  }
  const postgres = storage as Partial<PostgresLike>
  if (postgres.pool !== undefined && typeof postgres.schema === 'string') return postgresCredentials(postgres as PostgresLike)
  const hashes = new Map<string, string>()
  return {
    get: async (id) => hashes.get(id),
    set: async (id, hash) => { hashes.set(id, hash) },
    delete: async (id) => { hashes.delete(id) }
  }
}

/** What the inbox needs of PostgresStorage (typed structurally, so `npm start` on SQLite never loads pg). */
interface PostgresLike {
  pool: { query: (sql: string, values?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }> }
  schema: string
}

async function postgresCredentials ({ pool, schema }: PostgresLike): Promise<CredentialStore> {
  const table = `"${schema}".inbox_credentials`
  try {
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (agent_id TEXT PRIMARY KEY, hash TEXT NOT NULL)`)
  } catch (err) {
    // Two instances starting at once: IF NOT EXISTS can still lose the race on the catalog; the table is there.
    if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P07') throw err
  }
  return {
    get: async (id) => (await pool.query(`SELECT hash FROM ${table} WHERE agent_id = $1`, [id])).rows[0]?.hash as string | undefined,
    set: async (id, hash) => { await pool.query(`INSERT INTO ${table} (agent_id, hash) VALUES ($1, $2) ON CONFLICT (agent_id) DO UPDATE SET hash = excluded.hash`, [id, hash]) },
    delete: async (id) => { await pool.query(`DELETE FROM ${table} WHERE agent_id = $1`, [id]) }
  }
}
