// A write that aborts the group's whole transaction (SQLITE_FULL, forced with PRAGMA max_page_count) must not
// half-fail the group: every caller is either stored and acknowledged (with its event) or refused with the real
// cause and not stored.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import Fastify from 'fastify'
import t from 'tap'
import finHelpdesk from '../../lib/index.js'
import { FinAgentNotFoundError } from '../../lib/errors.js'
import { SqliteStorage } from '../../lib/sqlite/index.js'
import type { NewMessage } from '../../lib/storage/types.js'
import { AUTH, FIN_AGENT, storedConversation, TOKEN } from '../fixtures/app.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-group-abort-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (): string => join(dir, `db-${++files}`, 'helpdesk.db')

const GROUP = 12
const BIG = 7 // the write that does not fit (1-based, as in the report)
// Room for the eleven small writes (a page or two), not for the big one (90 KB: about 22 pages of 4 KB).
const HEADROOM_PAGES = 10
const bodyOf = (i: number): string => i === BIG ? `<p>${'x'.repeat(90_000)}</p>` : `<p>w${i}</p>`

/** What another connection sees in the file: the bodies stored, by caller number. */
function storedCallers (path: string): number[] {
  const other = new BetterSqlite3(path, { readonly: true })
  try {
    const bodies = other.prepare('SELECT body FROM fin_messages').all() as Array<{ body: string }>
    return bodies.map(({ body }) => body === bodyOf(BIG) ? BIG : Number(/^<p>w(\d+)<\/p>$/.exec(body)?.[1])).filter((n) => n > 0).sort((a, b) => a - b)
  } finally {
    other.close()
  }
}

function capPages (storage: SqliteStorage): void {
  const pages = storage.db.pragma('page_count', { simple: true }) as number
  storage.db.pragma(`max_page_count = ${pages + HEADROOM_PAGES}`)
}

const reply = (body: string, authorId = FIN_AGENT.id): NewMessage => ({
  author: { id: authorId, user_type: 'agent' }, body, visibility: 'public', attachments: []
})

t.test('storage: a disk-full write in a group of 12; each caller is stored and answered, or refused with SQLITE_FULL and not stored', async (t) => {
  const path = file()
  const storage = new SqliteStorage({ path })
  t.teardown(() => storage.close())
  const id = await storedConversation(storage)
  capPages(storage)
  // Asked for in one turn of the event loop: one group.
  const results = await Promise.allSettled(Array.from({ length: GROUP }, (_, i) => storage.createMessage(id, reply(bodyOf(i + 1)))))
  const stored = new Set(storedCallers(path))
  for (let i = 1; i <= GROUP; i++) {
    const result = results[i - 1]!
    if (result.status === 'fulfilled') {
      t.ok(stored.has(i), `caller ${i} acknowledged and stored`)
      t.equal(result.value!.created, true)
    } else {
      t.notOk(stored.has(i), `caller ${i} refused and not stored`)
      t.match(result.reason, { code: 'SQLITE_FULL' }, `caller ${i} refused with the real cause`)
    }
  }
  t.equal(results[BIG - 1]!.status, 'rejected', 'the write that does not fit is refused')
  t.same([...stored], Array.from({ length: GROUP }, (_, i) => i + 1).filter((i) => i !== BIG), 'the eleven that fit are stored')
})

t.test('HTTP: each of 12 create_message calls is 201 + stored + event, or 503 + not stored + no event, with SQLITE_FULL as the cause', async (t) => {
  const path = file()
  const storage = new SqliteStorage({ path })
  const id = await storedConversation(storage)
  const app = Fastify()
  const causes: unknown[] = []
  app.addHook('onError', async (_request, _reply, err) => { causes.push(err.cause) })
  await app.register(finHelpdesk, { prefix: '/fin', tokens: [TOKEN], storage })
  const fired = new Set<number>()
  app.fin.events.on('message.created', ({ message }) => {
    fired.add(message.body === bodyOf(BIG) ? BIG : Number(/^<p>w(\d+)<\/p>$/.exec(message.body)?.[1]))
  })
  await app.ready()
  t.teardown(async () => { await app.close(); await storage.close() })
  capPages(storage)
  const responses = await Promise.all(Array.from({ length: GROUP }, (_, i) => app.inject({
    method: 'POST',
    url: '/fin/messages',
    headers: AUTH,
    payload: { conversation_id: id, body: bodyOf(i + 1), author: { id: FIN_AGENT.id, user_type: 'agent' } }
  })))
  const stored = new Set(storedCallers(path))
  for (let i = 1; i <= GROUP; i++) {
    const res = responses[i - 1]!
    if (res.statusCode === 201) {
      t.ok(stored.has(i), `caller ${i}: 201 and stored`)
      t.ok(fired.has(i), `caller ${i}: its event fired`)
    } else {
      t.equal(res.statusCode, 503, `caller ${i}: refused as storage unavailable`)
      t.match(res.json(), { code: 'FIN_ERR_STORAGE_UNAVAILABLE' })
      t.notOk(stored.has(i), `caller ${i}: refused and not stored`)
      t.notOk(fired.has(i), `caller ${i}: no event`)
    }
  }
  t.equal(responses[BIG - 1]!.statusCode, 503)
  t.same([...stored].sort((a, b) => a - b), Array.from({ length: GROUP }, (_, i) => i + 1).filter((i) => i !== BIG))
  t.same([...fired].sort((a, b) => a - b), [...stored].sort((a, b) => a - b), 'an event for each write stored, and only those')
  t.same(causes.map((cause) => (cause as { code?: string }).code), ['SQLITE_FULL'], 'the one refusal carries the real cause to the error log')
})

t.test('a constraint failure in one savepoint still fails only that write', async (t) => {
  const path = file()
  const storage = new SqliteStorage({ path })
  t.teardown(() => storage.close())
  const id = await storedConversation(storage)
  // A trigger makes one insert fail inside SQLite (a constraint, not a transaction abort).
  storage.db.exec(`CREATE TRIGGER refuse_w4 BEFORE INSERT ON fin_messages WHEN NEW.body = '<p>w4</p>'
    BEGIN SELECT RAISE(ABORT, 'w4 refused'); END`)
  const results = await Promise.allSettled([
    ...Array.from({ length: 6 }, (_, i) => storage.createMessage(id, reply(bodyOf(i + 1)))),
    storage.createMessage(id, reply('<p>w8</p>', 'agent_nobody'))
  ])
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected'])
  t.match((results[3] as PromiseRejectedResult).reason, { code: 'SQLITE_CONSTRAINT_TRIGGER' })
  t.ok((results[6] as PromiseRejectedResult).reason instanceof FinAgentNotFoundError)
  t.same(storedCallers(path), [1, 2, 3, 5, 6])
})
