// Cost growth: the example app's heap and RSS, and its read throughput, before and after 10,000 conversations of
// 20 messages written through the API; and how much it logs per request.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { seed, SqliteStorage } from './apps.js'
import { alternate, fixed, startServer, type Loader } from './harness.js'

export const CONVERSATIONS = Number(process.env.FIN_BENCH_CONVERSATIONS ?? 10_000)
const MESSAGES = 20
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`
const lines = (file: string): { count: number, bytes: number } => {
  const text = readFileSync(file, 'utf8')
  return { count: text.split('\n').filter((line) => line !== '').length, bytes: Buffer.byteLength(text) }
}

export async function growth (loader: Loader, dir: string, rounds: number): Promise<string> {
  const path = join(dir, 'growth.db')
  const storage = new SqliteStorage({ path })
  const ids = await seed(storage)
  await storage.close()
  // What a server of this harness holds before any app work: tap's TypeScript loader (the compiler, in the process)
  // and the benchmark's imports. The example's RSS is read against it.
  const bare = await startServer('bare')
  const floor = await bare.usage(true).finally(() => bare.close())
  const log = join(dir, 'growth.log')
  const server = await startServer('example', { path, ids }, log)
  try {
    const reads = async (): Promise<Map<string, { rps: number, cpu: number }>> => {
      const result = await alternate(loader, [
        { name: 'GET /conversation', server, spec: { path: `/api/fin/conversation?conversation_id=${ids.conversationId}` } },
        { name: 'GET /messages', server, spec: { path: `/api/fin/messages?conversation_id=${ids.conversationId}` } }
      ], rounds)
      return new Map([...result].map(([name, f]) => [name, { rps: f.rps.median, cpu: f.cpu.median }]))
    }
    const fresh = await server.usage(true)
    const before = await reads()
    const warm = await server.usage(true)
    const logBefore = lines(log)
    const cpuBefore = (await server.usage()).cpu
    const fill = await loader.fill({ url: `${server.url}/api/fin`, conversations: CONVERSATIONS, messages: MESSAGES, concurrency: 50 })
    const cpuAfter = (await server.usage()).cpu
    const logAfter = lines(log)
    const filled = await server.usage(true)
    const after = await reads()
    const end = await server.usage(true)
    const total = CONVERSATIONS * MESSAGES
    const rows = [
      `| measure | started | after the read runs | after ${fixed(CONVERSATIONS)} conversations × ${MESSAGES} messages (${fixed(total)} messages) | after the read runs again |`,
      '|---|---|---|---|---|',
      `| heap used (after a GC) | ${mb(fresh.heapUsed)} | ${mb(warm.heapUsed)} | ${mb(filled.heapUsed)} | ${mb(end.heapUsed)} |`,
      `| RSS | ${mb(fresh.rss)} | ${mb(warm.rss)} | ${mb(filled.rss)} | ${mb(end.rss)} |`,
      `| RSS above bare Fastify in this harness (${mb(floor.rss)} RSS, ${mb(floor.heapUsed)} heap: the TypeScript loader and the imports) | ` +
        `${mb(fresh.rss - floor.rss)} | ${mb(warm.rss - floor.rss)} | ${mb(filled.rss - floor.rss)} | ${mb(end.rss - floor.rss)} |`
    ]
    for (const [name, b] of before) {
      const a = after.get(name)!
      rows.push(`| ${name} req/s (CPU µs/request) | | ${fixed(b.rps)} (${fixed(b.cpu, 1)}) | | ${fixed(a.rps)} (${fixed(a.cpu, 1)}): **${fixed(a.rps / b.rps, 3)}** of before |`)
    }
    const writes = fill.requests
    return [
      rows.join('\n'),
      '',
      `The fill: ${fixed(writes)} API requests (create_user, create_conversation, 19 × create_message per conversation, 50 at a time) ` +
      `in ${fixed(fill.seconds, 1)} s (${fixed(writes / fill.seconds)} requests/s, ${fixed((cpuAfter - cpuBefore) / writes, 1)} µs of server CPU each); ` +
      `the app logged ${fixed((logAfter.count - logBefore.count) / writes, 2)} lines and ${fixed((logAfter.bytes - logBefore.bytes) / writes)} bytes per request.`
    ].join('\n')
  } finally {
    await server.close()
  }
}
