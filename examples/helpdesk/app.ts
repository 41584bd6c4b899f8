import Fastify, { type FastifyInstance } from 'fastify'
import finHelpdesk from '../../lib/index.js'
import { SqliteOutbox, SqliteStorage } from '../../lib/storage/sqlite.js'
import type { HelpdeskConfig } from './config.js'
import { agentConsole } from './console.js'

/** The agents a new helpdesk starts with: the one that represents Fin, and two humans. */
export const SEED_AGENTS = [
  { id: 'agent_fin', name: 'Fin', email: 'fin@helpdesk.example', alias: 'Fin' },
  { id: 'agent_sarah', name: 'Sarah Johnson', email: 'sarah@helpdesk.example', alias: 'Support Sarah' },
  { id: 'agent_omar', name: 'Omar Haddad', email: 'omar@helpdesk.example' }
]

export const FIN_PREFIX = '/api/fin'

/**
 * A small but real helpdesk: the Fin API at /api/fin on SQLite, the agents' console at /console (which notifies
 * Fin of every change, through an outbox in the same database), and a health check.
 */
export async function buildHelpdesk (config: HelpdeskConfig, logger: boolean | object = true): Promise<FastifyInstance> {
  const app = Fastify({ logger, forceCloseConnections: 'idle' })
  const storage = new SqliteStorage({ path: config.dbPath })
  // Added before the plugin, so it runs after it (onClose hooks run last-added first): the plugin drains its
  // notifications into the database, then the database closes.
  app.addHook('onClose', () => storage.close())

  // First start only: an existing database keeps its agents as the helpdesk left them.
  if ((await storage.listAgents()).length === 0) {
    for (const agent of SEED_AGENTS) await storage.upsertAgent(agent)
    app.log.info({ agents: SEED_AGENTS.map((agent) => agent.id) }, 'seeded the agents')
  }

  await app.register(finHelpdesk, {
    prefix: FIN_PREFIX,
    tokens: config.tokens,
    storage,
    rateLimit: config.rateLimit === 0 ? false : config.rateLimit === undefined ? undefined : { max: config.rateLimit, timeWindow: 60_000 },
    notify: config.notify === undefined ? undefined : { ...config.notify, outbox: new SqliteOutbox({ database: storage.db }) },
    oauth: config.oauth,
    signature: config.signingSecrets.length === 0 ? undefined : { secrets: config.signingSecrets }
  })
  await app.register(agentConsole, { storage, token: config.consoleToken })
  app.fin.events.on('notify.failed', (event) => {
    app.log.error({ conversation: event.conversation_id, reason: event.reason }, 'Fin was not notified')
  })
  app.fin.events.on('conversation.handover', ({ conversation }) => {
    app.log.info({ conversation: conversation.id }, 'Fin handed a conversation over to a human')
  })

  app.get('/healthz', async () => ({ status: 'ok' }))
  return app
}
