// notifyFin: enqueue throughput, and webhook POSTs for 10,000 sync calls over 100 conversations.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import finHelpdesk, { type FinOutbox } from '../../lib/index.js'
import { MemoryOutbox } from '../../lib/notify/outbox.js'
import { SqliteOutbox } from '../../lib/sqlite/index.js'

async function run (name: string, outbox: FinOutbox): Promise<string> {
  let posts = 0
  const fin = createServer((req, res) => { posts++; req.resume(); req.on('end', () => res.end('{}')) })
  await new Promise<void>((resolve) => fin.listen(0, '127.0.0.1', resolve))
  const app = Fastify()
  await app.register(finHelpdesk, {
    tokens: ['t-0123456789abcdef'],
    notify: { integrationId: 'bench', webhookKey: 'k', baseUrl: `http://127.0.0.1:${(fin.address() as AddressInfo).port}`, outbox }
  })
  await app.ready()
  const started = process.hrtime.bigint()
  for (let i = 0; i < 10_000; i++) await app.notifyFin(`conv_${i % 100}`)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const stats = await app.notifyFin.stats()
    if (stats.pending === 0 && stats.in_flight === 0) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const { delivered } = await app.notifyFin.stats()
  await app.close()
  await new Promise<void>((resolve) => fin.close(() => resolve()))
  return `| ${name} | ${Math.round(10_000 / seconds).toLocaleString('en')} calls/s (${(seconds * 1000 / 10_000 * 1000).toFixed(1)} µs each) | ${posts} | ${delivered} |`
}

export async function bench (): Promise<string> {
  return [
    '| outbox | enqueue (awaited, one after another) | webhook POSTs for 10,000 calls over 100 conversations | delivered |',
    '|---|---|---|---|',
    await run('MemoryOutbox', new MemoryOutbox()),
    await run('SqliteOutbox (file, WAL)', new SqliteOutbox({ path: `${process.env.TMPDIR ?? '/tmp'}/fin-notify-bench-${process.pid}.db` }))
  ].join('\n')
}
