import Fastify, { type FastifyInstance } from 'fastify'
import finHelpdesk, { type FinOutbox, type FinReplayRedis, type FinStorage } from '../../lib/index.js'
import { SqliteOutbox, SqliteStorage } from '../../lib/sqlite/index.js'
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
  const { storage, outbox, redis } = config.backend === 'postgres' ? await postgresBackend(config) : sqliteBackend(config)
  // Added before the plugin, so it runs after it (onClose hooks run last-added first): the plugin drains its
  // notifications into the database, then the database closes.
  app.addHook('onClose', async () => {
    await storage.close?.()
    redis?.disconnect()
  })

  // First start only: an existing database keeps its agents as the helpdesk left them.
  if ((await storage.listAgents()).length === 0) {
    for (const agent of SEED_AGENTS) await storage.upsertAgent(agent)
    app.log.info({ agents: SEED_AGENTS.map((agent) => agent.id) }, 'seeded the agents')
  }

  await app.register(finHelpdesk, {
    prefix: FIN_PREFIX,
    tokens: config.tokens,
    storage,
    rateLimit: config.rateLimit === 0 ? false : { ...(config.rateLimit === undefined ? {} : { max: config.rateLimit }), redis },
    notify: config.notify === undefined ? undefined : { ...config.notify, outbox, lease: config.notifyLease },
    oauth: config.oauth,
    // With Redis (several processes), a signature seen by one process is a replay on all.
    signature: config.signingSecrets.length === 0 ? undefined : { secrets: config.signingSecrets, redis }
  })
  await app.register(agentConsole, { storage, token: config.consoleToken, redis })
  app.fin.events.on('notify.failed', (event) => {
    app.log.error({ conversation: event.conversation_id, reason: event.reason }, 'Fin was not notified')
  })
  app.fin.events.on('conversation.handover', ({ conversation }) => {
    app.log.info({ conversation: conversation.id }, 'Fin handed a conversation over to a human')
  })

  app.get('/healthz', async () => ({ status: 'ok' }))
  return app
}

interface Backend {
  storage: FinStorage
  outbox: FinOutbox
  redis?: FinReplayRedis & { disconnect: () => void }
}

function sqliteBackend (config: HelpdeskConfig): Backend {
  const storage = new SqliteStorage({ path: config.dbPath })
  return { storage, outbox: new SqliteOutbox({ database: storage.db }) }
}

/** Several instances as one helpdesk: PostgreSQL for data and the notify outbox, Redis for the rate limit. */
async function postgresBackend (config: HelpdeskConfig): Promise<Backend & { redis: FinReplayRedis & { disconnect: () => void } }> {
  // Imported here, so that `npm start` (SQLite) needs neither driver.
  const { PostgresOutbox, PostgresStorage } = await import('../../lib/postgres/index.js')
  const { Redis } = await import('ioredis')
  const storage = new PostgresStorage({ connectionString: config.databaseUrl, schema: config.dbSchema })
  await storage.ready()
  // No offline queue: while Redis is down, limiter calls fail at once (and the limit fails open) instead of hanging.
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 })
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000)
    redis.once('ready', () => { clearTimeout(timer); resolve() })
  })
  return { storage, outbox: new PostgresOutbox({ pool: storage.pool, schema: config.dbSchema }), redis }
}
