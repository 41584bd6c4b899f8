import Fastify, { type FastifyInstance } from 'fastify'
import finHelpdesk from '../../lib/index.js'
import { SqliteStorage } from '../../lib/storage/sqlite.js'
import type { HelpdeskConfig } from './config.js'

/** The agents a new helpdesk starts with: the one that represents Fin, and two humans. */
export const SEED_AGENTS = [
  { id: 'agent_fin', name: 'Fin', email: 'fin@helpdesk.example', alias: 'Fin' },
  { id: 'agent_sarah', name: 'Sarah Johnson', email: 'sarah@helpdesk.example', alias: 'Support Sarah' },
  { id: 'agent_omar', name: 'Omar Haddad', email: 'omar@helpdesk.example' }
]

export const FIN_PREFIX = '/api/fin'

/** A small but real helpdesk: the Fin API at /api/fin on SQLite, and a health check. */
export async function buildHelpdesk (config: HelpdeskConfig, logger: boolean | object = true): Promise<FastifyInstance> {
  const app = Fastify({ logger, forceCloseConnections: 'idle' })
  const storage = new SqliteStorage({ path: config.dbPath })
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
    rateLimit: config.rateLimit === 0 ? false : config.rateLimit === undefined ? undefined : { max: config.rateLimit, timeWindow: 60_000 }
  })
  app.fin.events.on('conversation.handover', ({ conversation }) => {
    app.log.info({ conversation: conversation.id }, 'Fin handed a conversation over to a human')
  })

  app.get('/healthz', async () => ({ status: 'ok' }))
  return app
}
