// One server of the benchmark, in a process of its own (started by harness.ts with an IPC channel): builds the app
// named on the command line, listens on port 0, reports its URL, and answers CPU and memory queries, so the load
// (another process) never shares its event loop.
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { PostgresStorage } from '../../lib/postgres/index.js'
import { bareApp, bareOtelApp, exampleApp, glueApp, handSqliteApp, MemoryStorage, pluginApp, seed, SqliteStorage, type Seeded } from './apps.js'
import type { ServerKind, ServerMessage, ParentMessage, ServerConfig } from './protocol.js'

const kind = process.argv[2] as ServerKind
const config = JSON.parse(process.argv[3] ?? '{}') as ServerConfig

async function build (): Promise<{ app: FastifyInstance, ids: Seeded | undefined, note?: string }> {
  switch (kind) {
    case 'bare': {
      const storage = new MemoryStorage()
      const ids = await seed(storage)
      return { app: await bareApp(storage, ids), ids }
    }
    case 'bare-otel': {
      const storage = new MemoryStorage()
      const ids = await seed(storage)
      const app = await bareOtelApp(storage, ids)
      if (app === undefined) throw new Error('@opentelemetry/api is not installed')
      return { app, ids }
    }
    case 'plugin-memory': {
      const storage = new MemoryStorage()
      return { ids: await seed(storage), app: await pluginApp(storage) }
    }
    case 'glue': {
      const storage = new MemoryStorage()
      const ids = await seed(storage)
      const { app, spec } = await glueApp(storage)
      return { app, ids, note: spec }
    }
    case 'plugin-sqlite':
    case 'plugin-sqlite-single': {
      // -single: one transaction per write (group commit off), to measure what group commit gains.
      const storage = new SqliteStorage({ path: config.path!, groupCommit: kind === 'plugin-sqlite' })
      const app = await pluginApp(storage)
      app.addHook('onClose', () => storage.close())
      return { app, ids: config.ids }
    }
    case 'plugin-postgres': {
      const pool = new pg.Pool({ connectionString: config.url })
      const storage = new PostgresStorage({ pool, schema: config.schema! })
      await storage.ready()
      const app = await pluginApp(storage)
      app.addHook('onClose', () => pool.end())
      return { app, ids: config.ids }
    }
    case 'hand-sqlite':
      return { app: handSqliteApp(config.path!), ids: config.ids }
    case 'example':
      return { app: await exampleApp(config.path!), ids: config.ids }
  }
}

const send = (message: ServerMessage): void => { process.send!(message) }
// The parent closing the channel (or dying) is the signal to stop, even while the app is still being built.
let stop = (): void => process.exit(0)
process.on('disconnect', () => stop())
const { app, ids, note } = await build()
stop = () => { app.close().then(() => process.exit(0), () => process.exit(1)) }
if (!process.connected) stop()
await app.listen({ host: '127.0.0.1', port: 0 })
const { port } = app.server.address() as { port: number }

process.on('message', (message: ParentMessage) => {
  if (message.type === 'usage') {
    if (message.gc === true) global.gc?.()
    const cpu = process.cpuUsage()
    const memory = process.memoryUsage()
    send({ type: 'usage', cpu: cpu.user + cpu.system, heapUsed: memory.heapUsed, rss: memory.rss })
  }
})
send({ type: 'ready', url: `http://127.0.0.1:${port}`, ids, note })
