// get_messages with after_id = the last message, on conversations of 10, 1,000 and 100,000 messages: flat cost.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import pg from 'pg'
import finHelpdesk, { type FinStorage } from '../../lib/index.js'
import { PostgresStorage } from '../../lib/postgres/index.js'
import { SqliteStorage } from '../../lib/sqlite/index.js'
import { alternate, listen, load, round } from './harness.js'

const SIZES = [10, 1000, 100_000]
const AUTH = { authorization: 'Bearer bench' }

/** Conversations of each size in one storage; bulk-loaded with SQL, since the API path is not what is measured. */
async function fill (storage: FinStorage, bulk: (conversationId: string, count: number) => Promise<void>): Promise<Map<number, { id: string, last: string }>> {
  await storage.upsertAgent({ id: 'agent_fin', name: 'Fin', email: 'fin@example.com' })
  const user = (await storage.createUser({ name: 'Jane' })).value
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

async function measure (name: string, storage: FinStorage, conversations: Map<number, { id: string, last: string }>): Promise<string[]> {
  const app = Fastify()
  await app.register(finHelpdesk, { tokens: ['bench'], storage, rateLimit: false })
  const url = await listen(app)
  const figures = await alternate(Object.fromEntries(SIZES.map((size) => [String(size), () => {
    const c = conversations.get(size)!
    return load({ url: `${url}/messages?conversation_id=${c.id}&after_id=${c.last}`, headers: AUTH })
  }])))
  await app.close()
  const base = figures['10']!.rps
  return SIZES.map((size) => {
    const f = figures[String(size)]!
    return `| ${name} | ${size.toLocaleString('en')} | ${round(f.rps)} | ${f.p50} | ${f.p99} | ${round(f.rps / base, 3)} |`
  })
}

export async function bench (): Promise<string> {
  const lines = ['| storage | messages in the conversation | req/s | p50 ms | p99 ms | ratio to 10 messages |', '|---|---|---|---|---|---|']
  const dir = mkdtempSync(join(tmpdir(), 'fin-history-'))
  try {
    const sqlite = new SqliteStorage({ path: join(dir, 'history.db') })
    const insert = sqlite.db.prepare(`INSERT INTO fin_messages (id, conversation_id, body, author, visibility, attachments, created_at)
      VALUES (?, ?, '<p>history</p>', '{"id":"agent_fin","user_type":"agent"}', 'public', '[]', '2025-01-01T00:00:00.000Z')`)
    const sqliteConversations = await fill(sqlite, async (id, count) => {
      sqlite.db.transaction(() => { for (let i = 0; i < count; i++) insert.run(`${id}_${i}`, id) })()
    })
    lines.push(...await measure('SQLite', sqlite, sqliteConversations))
    await sqlite.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
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
    lines.push(...await measure('PostgreSQL', postgres, conversations))
  } catch (err) {
    lines.push(`| PostgreSQL | not measured: ${(err as Error).message} | | | | |`)
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {})
    await pool.end()
  }
  return lines.join('\n')
}
