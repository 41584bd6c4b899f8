// Heap and RSS after 10,000 conversations of 20 messages on SqliteStorage.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStorage } from '../../lib/sqlite/index.js'

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`

export async function bench (): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fin-memory-'))
  try {
    global.gc?.()
    const before = process.memoryUsage()
    const storage = new SqliteStorage({ path: join(dir, 'memory.db') })
    await storage.upsertAgent({ id: 'agent_fin', name: 'Fin', email: 'fin@example.com' })
    const started = process.hrtime.bigint()
    for (let c = 0; c < 10_000; c++) {
      const user = (await storage.createUser({ name: `User ${c}`, object_id: `u${c}` })).value
      const { conversation } = (await storage.createConversation({
        object_id: `c${c}`,
        user_id: user.id,
        title: 'Pricing',
        attributes: { topic: 'billing' },
        message: { author: { id: user.id, user_type: 'end_user' }, body: '<p>How much is Pro?</p>', visibility: 'public', attachments: [], object_id: `c${c}_0` }
      })).value
      for (let m = 1; m < 20; m++) {
        await storage.createMessage(conversation.id, { author: { id: 'agent_fin', user_type: 'agent' }, body: `<p>Answer ${m}</p>`, visibility: 'public', attachments: [], object_id: `c${c}_${m}` })
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    global.gc?.()
    const after = process.memoryUsage()
    await storage.close()
    return [
      '| measure | fresh process | after 10,000 conversations × 20 messages (200,000 messages) |',
      '|---|---|---|',
      `| heap used | ${mb(before.heapUsed)} | ${mb(after.heapUsed)} |`,
      `| RSS | ${mb(before.rss)} | ${mb(after.rss)} |`,
      `| time to write them through the storage API | | ${seconds.toFixed(1)} s (${Math.round(210_000 / seconds).toLocaleString('en')} creates/s) |`
    ].join('\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
