import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import finHelpdesk, { type FinHelpdeskOptions, type FinOutbox, type FinStorage } from '../../lib/index.js'
import { SqliteOutbox, SqliteStorage } from '../../lib/sqlite/index.js'
import type { HelpdeskConfig } from './config.js'
import { causeOf, ConfigError, maskUrl } from './config-errors.js'
import { agentConsole } from './console.js'
import { createPrivateDatabase, databasePathError } from './database-file.js'
import { agentInbox } from './inbox/index.js'
import { logRedisErrors } from './redis-log.js'
import { logRequests } from './request-log.js'
import type { HelpdeskTelemetry } from './telemetry.js'

/** What the signature's replay check needs of an ioredis client. */
type FinReplayRedis = NonNullable<NonNullable<FinHelpdeskOptions['signature']>['redis']>

/** The agents a new helpdesk starts with: the one that represents Fin, and two humans. */
export const SEED_AGENTS = [
  { id: 'agent_fin', name: 'Fin', email: 'fin@helpdesk.example', alias: 'Fin' },
  { id: 'agent_sarah', name: 'Sarah Johnson', email: 'sarah@helpdesk.example', alias: 'Support Sarah' },
  { id: 'agent_omar', name: 'Omar Haddad', email: 'omar@helpdesk.example' }
]

export const FIN_PREFIX = '/api/fin'

/** How long a client may take, in ms: see HELPDESK_TIMEOUTS. */
export interface HelpdeskTimeouts {
  /** Whole request, headers and body (Node's requestTimeout; headersTimeout too). */
  request: number
  /** A socket with no traffic at all (Node's server timeout). */
  connection: number
  /** How often Node looks for requests past `request` (its connectionsCheckingInterval, 30 s by default). */
  checkInterval: number
  /**
   * An idle keep-alive socket between two requests (Node's keepAliveTimeout, to which Node adds one second;
   * Fastify's default is 72 s).
   */
  keepAlive?: number
  /** Open sockets at most: further connections are closed at once (Node's server.maxConnections). */
  maxConnections?: number
}

/**
 * A request that stalls (or trickles its body) is cut off within request + checkInterval = 25 s, and a silent
 * socket after 25 s, before its first request or between two (keep-alive): Node checks requestTimeout only every
 * checkInterval, so both count towards the 30 s bound. At most 1,000 sockets at once: Fin uses a handful, each
 * agent's inbox one; the cap keeps a flood of idle sockets from exhausting file descriptors.
 */
export const HELPDESK_TIMEOUTS: Required<HelpdeskTimeouts> = { request: 20_000, connection: 25_000, checkInterval: 5_000, keepAlive: 24_000, maxConnections: 1_000 }

/** Log paths that hold credentials: Fin's and the console's tokens, signatures, the webhook key, OAuth secrets. */
export const LOG_REDACT = [
  'req.headers.authorization', 'req.headers["x-fin-signature"]', 'req.headers["x-webhook-key"]', 'req.headers.cookie',
  'headers.authorization', 'headers["x-fin-signature"]', 'headers["x-webhook-key"]',
  'req.body.client_secret', 'body.client_secret', 'client_secret', 'webhookKey', 'notify.webhookKey',
  'oauth.clients[*].secret', 'clients[*].secret'
]

/** The logger options with credentials redacted, whatever the caller passed (false stays off). */
function redacted (logger: boolean | object): FastifyServerOptions['logger'] {
  if (logger === false) return false
  return { ...(logger === true ? {} : logger), redact: { paths: LOG_REDACT, censor: '[redacted]' } }
}

/**
 * A small but real helpdesk: the Fin API at /api/fin on SQLite, the agents' console at /console (which notifies
 * Fin of every change, through an outbox in the same database), and a health check.
 */
export async function buildHelpdesk (config: HelpdeskConfig, logger: boolean | object = true, timeouts: HelpdeskTimeouts = HELPDESK_TIMEOUTS, telemetry?: HelpdeskTelemetry): Promise<FastifyInstance> {
  const app = Fastify({
    logger: redacted(logger),
    trustProxy: config.trustProxy,
    forceCloseConnections: 'idle',
    requestTimeout: timeouts.request,
    connectionTimeout: timeouts.connection,
    keepAliveTimeout: timeouts.keepAlive ?? HELPDESK_TIMEOUTS.keepAlive,
    http: { connectionsCheckingInterval: timeouts.checkInterval, headersTimeout: timeouts.request, requestTimeout: timeouts.request },
    // One line per request (request-log.ts) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true })
  })
  app.server.maxConnections = timeouts.maxConnections ?? HELPDESK_TIMEOUTS.maxConnections
  logRequests(app)
  if (telemetry !== undefined) {
    // First: HTTP server spans for every route. Its onClose is the last to run, so the final deliveries' spans flush.
    await app.register(telemetry.plugin)
    app.addHook('onClose', () => telemetry.shutdown())
  }
  const { storage, outbox, redis } = config.backend === 'postgres' ? await postgresBackend(config, app.log) : sqliteBackend(config)
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
  // Before the plugins register: on this path the database (and Redis) are all there is to close.
  const refused = await unknownAgentEmails(storage, config.agentPasswords)
  if (refused !== undefined) {
    await storage.close?.()
    redis?.disconnect()
    throw refused
  }

  await app.register(finHelpdesk, {
    prefix: FIN_PREFIX,
    tokens: config.tokens,
    storage,
    rateLimit: config.rateLimit === 0 ? false : { ...(config.rateLimit === undefined ? {} : { max: config.rateLimit }), redis, ...(redis === undefined ? {} : { nameSpace: `fin-rate-limit-${config.dbSchema}-` }) },
    notify: config.notify === undefined ? undefined : { ...config.notify, outbox, lease: config.notifyLease },
    oauth: config.oauth,
    // With Redis (several processes), a signed write seen by one process is known to all (replays refused). Its keys,
    // like the rate limits', are named after the schema: helpdesks (and test runs) sharing one Redis stay apart.
    signature: config.signingSecrets.length === 0 ? undefined : { secrets: config.signingSecrets, redis, ...(redis === undefined ? {} : { nameSpace: `fin-signature-seen-${config.dbSchema}-` }) }
  })
  await app.register(agentInbox, {
    storage,
    finAgentId: SEED_AGENTS[0]!.id,
    passwords: config.agentPasswords,
    sessionSecret: config.inboxSessionSecret,
    sessionTtl: config.inboxSessionTtl * 1000,
    // Secure cookies travel over HTTPS only: everywhere but loopback (where the browser treats http as secure).
    secureCookies: !isLoopback(config.host),
    redis,
    redisNameSpace: `helpdesk-inbox-${config.dbSchema}-`
  })
  await app.register(agentConsole, { storage, token: config.consoleToken, redis, redisNameSpace: `helpdesk-console-${config.dbSchema}-` })
  app.fin.events.on('notify.failed', (event) => {
    app.log.error({ conversation: event.conversation_id, reason: event.reason }, 'Fin was not notified')
  })
  app.fin.events.on('conversation.handover', ({ conversation }) => {
    app.log.info({ conversation: conversation.id }, 'Fin handed a conversation over to a human')
  })

  // Storage reachability (503 when down) and the notify outbox's backlog.
  app.get('/healthz', async (_request, reply) => {
    const outbox = config.notify === undefined ? null : await app.notifyFin.stats().catch(() => null)
    try {
      await storage.listAgents()
    } catch (err) {
      app.log.error({ err }, 'health check: storage unreachable')
      return reply.code(503).send({ status: 'unavailable', storage: 'unreachable', outbox })
    }
    return { status: 'ok', storage: 'ok', outbox }
  })
  return app
}

export function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** AGENT_PASSWORDS naming no agent who signs in (a typo, or Fin's own agent) is refused, not ignored. */
async function unknownAgentEmails (storage: FinStorage, passwords: ReadonlyMap<string, string>): Promise<ConfigError | undefined> {
  const humans = (await storage.listAgents()).filter((agent) => agent.id !== SEED_AGENTS[0]!.id).map((agent) => agent.email.toLowerCase())
  const unknown = [...passwords.keys()].filter((email) => !humans.includes(email))
  if (unknown.length === 0) return undefined
  return new ConfigError('AGENT_PASSWORDS', `no agent signs in as ${unknown.join(', ')} (the agents: ${humans.join(', ')})`)
}

interface Backend {
  storage: FinStorage
  outbox: FinOutbox
  redis?: FinReplayRedis & { disconnect: () => void }
}

function sqliteBackend (config: HelpdeskConfig): Backend {
  // A FIN_DB_PATH it cannot use (a folder, a path through a file, a file that is no database): one line naming it,
  // as when the generated tokens cannot be kept beside it (token-file.ts).
  createPrivateDatabase(config.dbPath)
  let storage: SqliteStorage
  try {
    storage = new SqliteStorage({ path: config.dbPath })
  } catch (err) {
    throw databasePathError(config.dbPath, err)
  }
  return { storage, outbox: new SqliteOutbox({ database: storage.db }) }
}

/** Several instances as one helpdesk: PostgreSQL for data and the notify outbox, Redis for the rate limit. */
async function postgresBackend (config: HelpdeskConfig, log: FastifyBaseLogger): Promise<Backend & { redis: FinReplayRedis & { disconnect: () => void } }> {
  // Imported here, so that `npm start` (SQLite) needs neither driver.
  const { PostgresOutbox, PostgresStorage } = await import('../../lib/postgres/index.js')
  const { Redis } = await import('ioredis')
  const storage = new PostgresStorage({ connectionString: config.databaseUrl, schema: config.dbSchema })
  try {
    await storage.ready()
  } catch (err) {
    await storage.close()
    // A start that cannot use its database: one line naming the variable, without the URL's password.
    throw new ConfigError('DATABASE_URL', `cannot use ${maskUrl(config.databaseUrl)}: ${causeOf(err, config.databaseUrl)}`)
  }
  // No offline queue: while Redis is down, limiter calls fail at once (and the limit fails open) instead of hanging.
  let redis: InstanceType<typeof Redis>
  try {
    redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 })
  } catch (err) {
    // readConfig checked the URL (checkRedisUrl); whatever ioredis still refuses is one line too, without the URL's secrets.
    await storage.close()
    throw new ConfigError('REDIS_URL', `cannot use ${maskUrl(config.redisUrl)}: ${causeOf(err, config.redisUrl)}`)
  }
  logRedisErrors(redis, log, config.redisUrl)
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000)
    redis.once('ready', () => { clearTimeout(timer); resolve() })
  })
  return { storage, outbox: new PostgresOutbox({ pool: storage.pool, schema: config.dbSchema }), redis }
}
