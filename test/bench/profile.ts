// `node --import @tapjs/typescript/import test/bench/profile.ts <server kind> <conversation|messages|post> [seconds]`:
// one server under load with `--cpu-prof`, then the functions and files with the most self time. The .cpuprofile
// stays in the printed folder for Chrome DevTools.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seed, SqliteStorage } from './apps.js'
import { CONNECTIONS, Loader, startServer } from './harness.js'
import type { ServerKind } from './protocol.js'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount: number, children?: number[] }

const [kind = 'plugin-sqlite', route = 'conversation', seconds = '8'] = process.argv.slice(2)
const dir = mkdtempSync(join(tmpdir(), 'fin-profile-'))
process.env.FIN_BENCH_PROFILE = dir
const path = join(dir, 'profile.db')
const storage = new SqliteStorage({ path })
const ids = await seed(storage)
await storage.close()
const server = await startServer(kind as ServerKind, { path, ids }, join(dir, 'server.log'))
const loader = new Loader()
const prefix = kind === 'example' ? '/api/fin' : ''
const id = server.ids.conversationId
const spec = route === 'post'
  ? { path: `${prefix}/messages`, post: { conversationId: server.ids.postConversationId, prefix: 'profile' } }
  : { path: `${prefix}/${route}?conversation_id=${id}` }
const result = await loader.run({ url: server.url, seconds: Number(seconds), connections: CONNECTIONS, ...spec })
await server.close()
await loader.close()

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[] }
// Shares of the busy time: idle samples (waiting for requests, start-up) are left out.
const total = profile.nodes.reduce((sum, node) => sum + (node.callFrame.functionName === '(idle)' ? 0 : node.hitCount), 0)
const byFunction = new Map<string, number>()
const byFile = new Map<string, number>()
for (const node of profile.nodes) {
  if (node.callFrame.functionName === '(idle)') continue
  const where = node.callFrame.url.replace(/^file:\/\//, '').replace(process.cwd(), '.').replace(/.*node_modules\//, '')
  const name = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`
  byFunction.set(name, (byFunction.get(name) ?? 0) + node.hitCount)
  const key = where === '' ? node.callFrame.functionName : where
  byFile.set(key, (byFile.get(key) ?? 0) + node.hitCount)
}
const top = (map: Map<string, number>, n: number): string => [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
  .map(([name, hits]) => `${(hits / total * 100).toFixed(1).padStart(5)}%  ${name}`).join('\n')
console.log(`${kind} ${route}: ${Math.round(result.requests / result.seconds)} req/s, profile ${join(dir, file)}\n\nself time by function:\n${top(byFunction, 30)}\n\nby file:\n${top(byFile, 20)}`)
