// A quick A/B while optimizing: `node --import @tapjs/typescript/import test/bench/ab.ts <conversation|messages|post>
// <server kind> <server kind> ...` alternates the servers on one route (FIN_BENCH_SECONDS, FIN_BENCH_ROUNDS) and
// prints the table, the first kind as the baseline. On a shared machine, read the CPU ratio.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seed, SqliteStorage } from './apps.js'
import { alternate, Loader, startServer, table } from './harness.js'
import type { ServerKind } from './protocol.js'

const [route = 'conversation', ...kinds] = process.argv.slice(2)
const dir = mkdtempSync(join(tmpdir(), 'fin-ab-'))
const path = join(dir, 'ab.db')
const storage = new SqliteStorage({ path })
const ids = await seed(storage)
await storage.close()
const loader = new Loader()
const servers = []
for (const kind of kinds) servers.push(await startServer(kind as ServerKind, { path, ids }, join(dir, `${kind}.log`)))
try {
  const figures = await alternate(loader, servers.map((server, i) => {
    const prefix = server.name === 'example' ? '/api/fin' : ''
    const spec = route === 'post'
      ? { path: `${prefix}/messages`, post: { conversationId: server.ids.postConversationId, prefix: `ab${i}` } }
      : { path: `${prefix}/${route}?conversation_id=${server.ids.conversationId}` }
    return { name: `${i}: ${server.name}`, server, spec }
  }))
  console.log(table(figures, `0: ${kinds[0]}`))
} finally {
  for (const server of servers) await server.close()
  await loader.close()
  rmSync(dir, { recursive: true, force: true })
}
