// get_messages with after_id = the last message, on conversations of 10, 1,000 and 100,000 messages: flat cost.
import { join } from 'node:path'
import pg from 'pg'
import { PostgresStorage } from '../../lib/postgres/index.js'
import { seed, SqliteStorage } from './apps.js'
import type { FinStorage } from '../../lib/index.js'
import { alternate, fixed, startServer, type Loader, type Server } from './harness.js'
import type { ServerConfig, ServerKind } from './protocol.js'

const SIZES = [10, 1000, 100_000]

/** Conversations of each size; bulk-loaded with SQL, since the API path is not what is measured. */
async function fill (storage: FinStorage, bulk: (conversationId: string, count: number) => Promise<void>): Promise<Map<number, { id: string, last: string }>> {
  const ids = await seed(storage)
  const user = (await storage.getConversation(ids.conversationId))!.user
  const out = new Map<number, { id: string, last: string }>()
  for (const size of SIZES) {
    const { conversation } = (await storage.createConversation({
      user_id: user.id, title: null, attributes: null, message: { author: { id: user.id, user_type: 'end_user' }, body: 'first', visibility: 'public', attachments: [] }
    })).value
    await bulk(conversation.id, size - 1)
    const last = (await storage.listMessages(conversation.id))!.at(-1)!
    out.set(size, { id: conversation.id, last: last.id })
  }
  return out
}

async function measure (loader: Loader, name: string, kind: ServerKind, config: ServerConfig, conversations: Map<number, { id: string, last: string }>, rounds: number): Promise<string[]> {
  const server: Server = await startServer(kind, config)
  try {
    const figures = await alternate(loader, SIZES.map((size) => {
      const c = conversations.get(size)!
      return { name: String(size), server, spec: { path: `/messages?conversation_id=${c.id}&after_id=${c.last}` } }
    }), rounds)
    const base = figures.get('10')!
    return SIZES.map((size) => {
      const f = figures.get(String(size))!
      return `| ${name} | ${fixed(size)} | ${fixed(f.rps.median)} (${fixed(f.rps.min)}-${fixed(f.rps.max)}) | ${fixed(f.cpu.median, 1)} | ${fixed(f.p99.median)} | ${fixed(f.rps.median / base.rps.median, 3)} |`
    })
  } finally {
    await server.close()
  }
}

export async function history (loader: Loader, dir: string, rounds: number): Promise<string> {
  const lines = ['| storage | messages in the conversation | req/s, median (min-max) | server CPU µs/request | p99 ms | ratio to 10 messages |', '|---|---|---|---|---|---|']
  const path = join(dir, 'history.db')
  const sqlite = new SqliteStorage({ path })
  const insert = sqlite.db.prepare(`INSERT INTO fin_messages (id, conversation_id, body, author, visibility, attachments, created_at)
    VALUES (?, ?, '<p>history</p>', '{"id":"agent_fin","user_type":"agent"}', 'public', '[]', '2025-01-01T00:00:00.000Z')`)
  const sqliteConversations = await fill(sqlite, async (id, count) => {
    sqlite.db.transaction(() => { for (let i = 0; i < count; i++) insert.run(`${id}_${i}`, id) })()
  })
  await sqlite.close()
  lines.push(...await measure(loader, 'SQLite', 'plugin-sqlite', { path }, sqliteConversations, rounds))

  const url = process.env.FIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const pool = new pg.Pool({ connectionString: url })
  const schema = `fin_bench_${process.pid}`
  try {
    await pool.query('SELECT 1')
    const postgres = new PostgresStorage({ pool, schema })
    const conversations = await fill(postgres, async (id, count) => {
      await pool.query(`INSERT INTO "${schema}".messages (id, conversation_id, body, author, visibility, attachments, created_at)
        SELECT $1 || '_' || i, $1, '<p>history</p>', '{"id":"agent_fin","user_type":"agent"}', 'public', '[]', '2025-01-01T00:00:00.000Z'
        FROM generate_series(1, $2::int) AS i`, [id, count])
    })
    await pool.query(`ANALYZE "${schema}".messages`)
    lines.push(...await measure(loader, 'PostgreSQL', 'plugin-postgres', { url, schema }, conversations, rounds))
  } catch (err) {
    lines.push(`| PostgreSQL | not measured: ${(err as Error).message} | | | | |`)
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {})
    await pool.end()
  }
  return lines.join('\n')
}
