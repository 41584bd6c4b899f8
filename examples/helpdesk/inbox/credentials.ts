import type { FinStorage } from '../../../lib/index.js'
import { SqliteStorage } from '../../../lib/sqlite/index.js'

/**
 * The agents' password hashes, kept beside the helpdesk's data (a table in the SQLite file or the PostgreSQL
 * schema), so a restart or another instance signs the same agents in. Keyed by agent id.
 */
export interface CredentialStore {
  get (agentId: string): Promise<string | undefined>
  /** Sets the hash, replacing any. */
  set (agentId: string, hash: string): Promise<void>
  /**
   * Adds each hash only where the agent has none yet, all in one statement (or transaction): of instances seeding at
   * once, one adds them and the others none. The agent ids whose hash was added.
   */
  addMissing (entries: ReadonlyArray<{ agentId: string, hash: string }>): Promise<Set<string>>
}

export async function credentialStore (storage: FinStorage): Promise<CredentialStore> {
  if (storage instanceof SqliteStorage) {
    const db = storage.db
    db.exec('CREATE TABLE IF NOT EXISTS inbox_credentials (agent_id TEXT PRIMARY KEY, hash TEXT NOT NULL)')
    const get = db.prepare('SELECT hash FROM inbox_credentials WHERE agent_id = ?').pluck()
    const set = db.prepare('INSERT INTO inbox_credentials (agent_id, hash) VALUES (?, ?) ON CONFLICT (agent_id) DO UPDATE SET hash = excluded.hash')
    const add = db.prepare('INSERT OR IGNORE INTO inbox_credentials (agent_id, hash) VALUES (?, ?)')
    // One write transaction: instances on the same file take turns, and the first takes all the missing ones.
    const addAll = db.transaction((entries: ReadonlyArray<{ agentId: string, hash: string }>) =>
      new Set(entries.filter(({ agentId, hash }) => add.run(agentId, hash).changes === 1).map(({ agentId }) => agentId)))
    return {
      get: async (id) => get.get(id) as string | undefined,
      set: async (id, hash) => { set.run(id, hash) },
      addMissing: async (entries) => addAll.immediate(entries)
    }
  }
  const postgres = storage as Partial<PostgresLike>
  if (postgres.pool !== undefined && typeof postgres.schema === 'string') return postgresCredentials(postgres as PostgresLike)
  const hashes = new Map<string, string>()
  return {
    get: async (id) => hashes.get(id),
    set: async (id, hash) => { hashes.set(id, hash) },
    addMissing: async (entries) => {
      const added = new Set<string>()
      for (const { agentId, hash } of entries) {
        if (hashes.has(agentId)) continue
        hashes.set(agentId, hash)
        added.add(agentId)
      }
      return added
    }
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
    addMissing: async (entries) => {
      if (entries.length === 0) return new Set()
      // One statement, the rows in one order: a concurrent one waits on the first row's key, then adds nothing.
      const sorted = [...entries].sort((a, b) => a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0)
      const values = sorted.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ')
      const added = await pool.query(`INSERT INTO ${table} (agent_id, hash) VALUES ${values} ON CONFLICT (agent_id) DO NOTHING RETURNING agent_id`, sorted.flatMap(({ agentId, hash }) => [agentId, hash]))
      return new Set(added.rows.map((row) => row.agent_id as string))
    }
  }
}
