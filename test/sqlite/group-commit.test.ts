import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { FinAgentNotFoundError } from '../../lib/errors.js'
import { SqliteOutbox, SqliteStorage } from '../../lib/sqlite/index.js'
import { testFinStorage } from '../../lib/testing/index.js'
import type { NewMessage } from '../../lib/storage/types.js'
import { FIN_AGENT, storedConversation } from '../fixtures/app.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-group-commit-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (): string => join(dir, `db-${++files}`, 'helpdesk.db')

// One transaction per write, as before group commit: the whole contract still holds.
testFinStorage('SqliteStorage without group commit', () => new SqliteStorage({ path: file(), groupCommit: false }), {
  test: (name, fn) => t.test(name, fn),
  outbox: (storage) => new SqliteOutbox({ database: storage.db })
})

const reply = (objectId?: string, authorId = FIN_AGENT.id): NewMessage => ({
  author: { id: authorId, user_type: 'agent' }, body: `<p>${objectId ?? 'reply'}</p>`, visibility: 'public', attachments: [], object_id: objectId
})

t.test('a failing write in a group rejects alone; the others commit', async (t) => {
  const storage = new SqliteStorage({ path: file() })
  t.teardown(() => storage.close())
  const id = await storedConversation(storage)
  const results = await Promise.allSettled([
    storage.createMessage(id, reply('a')),
    storage.createMessage(id, reply('b', 'agent_nobody')),
    storage.createMessage(id, reply('c'))
  ])
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
  t.ok((results[1] as PromiseRejectedResult).reason instanceof FinAgentNotFoundError)
  const bodies = (await storage.listMessages(id))!.map((m) => m.body)
  t.same(bodies, ['hi', '<p>a</p>', '<p>c</p>'])
})

t.test('the same object_id twice in one group: one message, the second a retry', async (t) => {
  const storage = new SqliteStorage({ path: file() })
  t.teardown(() => storage.close())
  const id = await storedConversation(storage)
  const [first, second] = await Promise.all([storage.createMessage(id, reply('same')), storage.createMessage(id, reply('same'))])
  t.equal(first!.created, true)
  t.equal(second!.created, false)
  t.equal(second!.value.id, first!.value.id)
  t.same(second!.value, first!.value, 'the retry answers what was written')
  t.equal((await storage.listMessages(id))!.length, 2)
})

t.test('a group that cannot begin (another connection holds the write lock): each write refused with SQLITE_BUSY, none stored', async (t) => {
  const path = file()
  const storage = new SqliteStorage({ path, busyTimeout: 0 })
  t.teardown(() => storage.close())
  const id = await storedConversation(storage)
  const other = new BetterSqlite3(path)
  t.teardown(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  const results = await Promise.allSettled([storage.createMessage(id, reply('a')), storage.createMessage(id, reply('b'))])
  t.same(results.map((r) => r.status), ['rejected', 'rejected'])
  for (const result of results) t.match((result as PromiseRejectedResult).reason, { code: 'SQLITE_BUSY' })
  other.exec('ROLLBACK')
  t.same((await storage.listMessages(id))!.map((m) => m.body), ['hi'], 'nothing of the group stored')
  const retried = await Promise.all([storage.createMessage(id, reply('a')), storage.createMessage(id, reply('b'))])
  t.same(retried.map((r) => r!.created), [true, true], 'the lock gone, the same writes succeed')
})

t.test('a write is answered only once committed: another connection already sees it', async (t) => {
  const path = file()
  const storage = new SqliteStorage({ path })
  t.teardown(() => storage.close())
  const id = await storedConversation(storage)
  const other = new BetterSqlite3(path, { readonly: true })
  t.teardown(() => other.close())
  const seen = await Promise.all(Array.from({ length: 5 }, (_, i) => storage.createMessage(id, reply(`m${i}`)).then((created) =>
    other.prepare('SELECT count(*) AS n FROM fin_messages WHERE id = ?').get(created!.value.id))))
  t.same(seen, Array.from({ length: 5 }, () => ({ n: 1 })))
})

t.test('close() commits and answers the writes still queued', async (t) => {
  const path = file()
  const storage = new SqliteStorage({ path })
  const id = await storedConversation(storage)
  const pending = storage.createMessage(id, reply('last'))
  await storage.close()
  t.equal((await pending)!.created, true)
  const reopened = new SqliteStorage({ path })
  t.teardown(() => reopened.close())
  t.same((await reopened.listMessages(id))!.map((m) => m.body), ['hi', '<p>last</p>'])
})

t.test('concurrent writes share commits: the WAL grows far less than with one transaction each', async (t) => {
  const growth = async (groupCommit: boolean): Promise<number> => {
    const path = file()
    const storage = new SqliteStorage({ path, groupCommit })
    t.teardown(() => storage.close())
    const id = await storedConversation(storage)
    const before = statSync(`${path}-wal`).size
    await Promise.all(Array.from({ length: 50 }, (_, i) => storage.createMessage(id, reply(`w${i}`))))
    t.equal((await storage.listMessages(id))!.length, 51)
    return statSync(`${path}-wal`).size - before
  }
  const grouped = await growth(true)
  const single = await growth(false)
  t.ok(grouped * 5 < single, `WAL growth: ${grouped} bytes grouped, ${single} bytes one by one`)
})
