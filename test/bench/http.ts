// The HTTP scenarios: the plugin against bare Fastify and fastify-openapi-glue on memory, and against hand-written
// routes on the same SQLite file (reads and create_message), with the example app as `npm start` runs it.
import { join } from 'node:path'
import { seed, SqliteStorage } from './apps.js'
import { alternate, startServer, table, type Contender, type Figures, type Loader, type Server } from './harness.js'

const LABELS: Record<string, string> = {
  bare: 'bare Fastify (constant JSON, same schema)',
  plugin: 'plugin (auth, rate limit, failed-auth limit)',
  glue: 'fastify-openapi-glue (bearer check, no limits)',
  otel: 'bare Fastify + OpenTelemetry API calls per request, no SDK',
  hand: 'hand-written routes on the same SQLite file',
  single: 'plugin, group commit off (one transaction per write)',
  example: 'example app as `npm start` runs it (logger on)'
}

export interface HttpResults { sections: string[], figures: Record<string, Map<string, Figures>> }

const getConversation = (server: Server): Contender['spec'] => ({ path: `/conversation?conversation_id=${server.ids.conversationId}` })
const getMessages = (server: Server): Contender['spec'] => ({ path: `/messages?conversation_id=${server.ids.conversationId}` })

export async function httpScenarios (loader: Loader, dir: string): Promise<HttpResults> {
  const sections: string[] = []
  const figures: Record<string, Map<string, Figures>> = {}
  const note = (title: string, key: string, result: Map<string, Figures>, baseline: string, text: string): void => {
    figures[key] = result
    sections.push(`### ${title}\n\n${text}\n\n${table(result, baseline, LABELS)}\n`)
    process.stderr.write(`${title}\n${table(result, baseline, LABELS)}\n\n`)
  }

  // Memory: the plugin's own overhead, against the limit and against the glue app.
  const bare = await startServer('bare')
  const memory = await startServer('plugin-memory')
  const glue = await startServer('glue')
  // Only when @opentelemetry/api is installed (an optional peer dependency).
  const otel = await startServer('bare-otel').catch(() => undefined)
  try {
    const contenders: Contender[] = [
      { name: 'bare', server: bare, spec: getConversation(bare) },
      { name: 'plugin', server: memory, spec: getConversation(memory) },
      { name: 'glue', server: glue, spec: getConversation(glue) }
    ]
    if (otel !== undefined) contenders.push({ name: 'otel', server: otel, spec: getConversation(otel) })
    note('GET /conversation on MemoryStorage', 'memory', await alternate(loader, contenders), 'bare',
      `Target: plugin >= 0.95 of bare. The glue app reads the spec from ${glue.note ?? 'its spec'} (which types attributes as objects ` +
      'without properties: its serializer sends them empty, a little less work). The last row, when @opentelemetry/api is installed, ' +
      'is bare Fastify making the API calls an instrumented route makes (span, attributes, counter, histogram) with no SDK registered' +
      (otel === undefined ? ' (not measured in this run: @opentelemetry/api is not installed).' : '.'))
  } finally {
    await memory.close()
    await glue.close()
    await otel?.close()
  }

  // SQLite: one seeded file shared by the plugin, the hand-written routes and the example app (WAL: readers never wait).
  const path = join(dir, 'http.db')
  const storage = new SqliteStorage({ path })
  const ids = await seed(storage)
  await storage.close()
  const servers = {
    hand: await startServer('hand-sqlite', { path, ids }),
    plugin: await startServer('plugin-sqlite', { path, ids }),
    example: await startServer('example', { path, ids }, join(dir, 'example.log')),
    bare
  }
  try {
    const each = (spec: (server: Server) => Contender['spec']): Contender[] =>
      Object.entries(servers).map(([name, server]) => ({ name, server, spec: spec(server) }))
    const ofExample = (server: Server, spec: Contender['spec']): Contender['spec'] =>
      server === servers.example ? { ...spec, path: `/api/fin${spec.path}` } : spec
    note('GET /conversation on SQLite', 'sqliteConversation', await alternate(loader, each((s) => ofExample(s, getConversation(s)))), 'hand',
      'Target: plugin >= 0.95 of the hand-written route (one prepared join, a bearer check, the same schema).')
    note('GET /messages on SQLite (10 messages)', 'sqliteMessages', await alternate(loader, each((s) => ofExample(s, getMessages(s)))), 'hand',
      'Target: plugin >= 0.95 of the hand-written route (one prepared statement).')
    const single = await startServer('plugin-sqlite-single', { path, ids })
    const posts = [...Object.entries(servers), ['single', single] as const].map(([name, server]) => ({
      name, server, spec: ofExample(server, { path: '/messages', post: { conversationId: server.ids.postConversationId, prefix: name } })
    }))
    note('POST /messages on SQLite (a unique object_id each)', 'sqlitePost', await alternate(loader, posts).finally(() => single.close()), 'hand', 'Target: plugin >= 1.0 of the hand-written route, which validates (same schema), sanitizes (same policy), ' +
      'checks object_id, and writes in one IMMEDIATE transaction. Bare Fastify writes nothing: it shows the HTTP floor. The plugin ' +
      'uses group commit (the writes of one event-loop turn in one transaction); the last row has it off.')
  } finally {
    for (const server of Object.values(servers)) await server.close()
  }
  return { sections, figures }
}
