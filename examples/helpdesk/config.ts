import { randomBytes } from 'node:crypto'
import type { FinHelpdeskOptions } from '../../lib/index.js'
import { checkConfig, checkFinBaseUrl, checkRedisUrl, ConfigError } from './config-errors.js'
import { readTrustProxy } from './trust-proxy.js'

type FinNotifyOptions = NonNullable<FinHelpdeskOptions['notify']>
type FinOAuthOptions = NonNullable<FinHelpdeskOptions['oauth']>

export interface HelpdeskConfig {
  /** 'sqlite' for `npm start`, 'postgres' (with Redis) for `npm run start:postgres`. */
  backend: 'sqlite' | 'postgres'
  /** PostgreSQL and Redis, for the postgres backend. */
  databaseUrl: string
  dbSchema: string
  redisUrl: string
  /** How long a claimed sync is held before another instance may deliver it (ms); FIN_NOTIFY_LEASE_MS. */
  notifyLease: number | undefined
  host: string
  port: number
  /** LOG_LEVEL, one of pino's levels. @default 'info' */
  logLevel: string
  /** TRUST_PROXY: behind a TLS-terminating proxy, trust its X-Forwarded-* headers (`true`, or its addresses, CIDRs and
   * proxy-addr's range names: trust-proxy.ts): the inbox then sees https (its Secure cookie) and the limits see the
   * client's IP. @default false */
  trustProxy: boolean | string[]
  /** Bearer tokens Fin may use; generated when FIN_API_TOKEN is unset. */
  tokens: string[]
  tokenGenerated: boolean
  dbPath: string
  /** Requests per minute per authenticated client; 0 turns the limit off; undefined keeps the plugin's default. */
  rateLimit: number | undefined
  /** The agent console's bearer token; generated when CONSOLE_TOKEN is unset. */
  consoleToken: string
  consoleTokenGenerated: boolean
  /** Where notifyFin sends events; undefined (notifications off) until FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY are set. */
  notify: Pick<FinNotifyOptions, 'integrationId' | 'webhookKey' | 'region' | 'baseUrl'> | undefined
  /** The token endpoint (/api/fin/oauth/token), on when FIN_OAUTH_CLIENTS lists clients. */
  oauth: Pick<FinOAuthOptions, 'clients' | 'tokenTtl' | 'signingSecret'> | undefined
  /** Secrets for Fin's request signatures; when set, unsigned requests are refused. */
  signingSecrets: string[]
  /** The inbox's agent passwords by email (AGENT_PASSWORDS, `email:password,...`); others are generated once. */
  agentPasswords: Map<string, string>
  /** Signs the inbox's session cookies (INBOX_SESSION_SECRET, 32+ characters); random per process when unset. */
  inboxSessionSecret: string | undefined
  /** How long an inbox sign-in lasts, in seconds (INBOX_SESSION_TTL). @default 28800 (8 hours) */
  inboxSessionTtl: number
}

/**
 * Reads the example helpdesk's settings from the environment; throws with a clear one-line message naming the variable
 * on a bad value (config-errors.ts).
 */
export function readConfig (env: NodeJS.ProcessEnv = process.env, backend: HelpdeskConfig['backend'] = 'sqlite'): HelpdeskConfig {
  const tokens = list(env.FIN_API_TOKEN)
  const tokenGenerated = tokens.length === 0
  if (tokenGenerated) tokens.push(randomBytes(24).toString('base64url'))
  const dbSchema = env.FIN_DB_SCHEMA ?? 'fin'
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbSchema)) throw new Error('FIN_DB_SCHEMA must be lowercase letters, digits and "_"')
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  if (backend === 'postgres') checkRedisUrl(redisUrl)
  return checkConfig({
    backend,
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    dbSchema,
    redisUrl,
    notifyLease: integer(env, 'FIN_NOTIFY_LEASE_MS', undefined, 100, 600_000),
    host: env.HOST ?? '127.0.0.1',
    trustProxy: readTrustProxy(env.TRUST_PROXY),
    port: integer(env, 'PORT', 3000, 0, 65535)!,
    logLevel: readLogLevel(env),
    tokens,
    tokenGenerated,
    dbPath: readDbPath(env, backend),
    rateLimit: integer(env, 'FIN_RATE_LIMIT', undefined, 0, 1_000_000),
    consoleToken: env.CONSOLE_TOKEN || randomBytes(24).toString('base64url'),
    consoleTokenGenerated: !env.CONSOLE_TOKEN,
    notify: readNotify(env),
    oauth: readOAuth(env),
    signingSecrets: list(env.FIN_SIGNING_SECRET),
    agentPasswords: readAgentPasswords(env),
    inboxSessionSecret: readSessionSecret(env),
    inboxSessionTtl: integer(env, 'INBOX_SESSION_TTL', 28_800, 1, 30 * 86_400)!
  })
}

/**
 * `email:password,...`. An entry is echoed by its email only (what comes before its first colon), and only once it is
 * one: a comma inside a password splits it, and what follows the comma (the rest of the password) is never printed.
 */
function readAgentPasswords (env: NodeJS.ProcessEnv): Map<string, string> {
  // Every entry's form first: a comma in a password leaves its first part short, and the comma is what to say.
  const entries = list(env.AGENT_PASSWORDS).map((entry, index) => {
    const colon = entry.indexOf(':')
    const email = entry.slice(0, colon)
    if (colon <= 0 || colon === entry.length - 1 || !/^[^\s@]+@[^\s@]+$/.test(email)) {
      throw new ConfigError('AGENT_PASSWORDS', `entry ${index + 1} is not email:password (a password may not contain a comma)`)
    }
    return { email, password: entry.slice(colon + 1) }
  })
  return new Map(entries.map(({ email, password }) => {
    if (password.length < 8) throw new Error(`AGENT_PASSWORDS: the password of ${email} must have 8 characters or more`)
    return [email.toLowerCase(), password]
  }))
}

/**
 * FIN_DB_PATH for SQLite: an empty one (`FIN_DB_PATH= npm start`, or a variable that expanded to nothing) is refused,
 * not guessed at: SQLite would open an anonymous temporary database and the token files land in the working folder.
 */
function readDbPath (env: NodeJS.ProcessEnv, backend: HelpdeskConfig['backend']): string {
  const path = env.FIN_DB_PATH
  if (path === undefined) return './data/helpdesk.db'
  if (backend === 'sqlite' && path.trim() === '') throw new ConfigError('FIN_DB_PATH', 'is empty; unset it for the default (./data/helpdesk.db), or give a path or :memory:')
  return path
}

/** pino's levels: any other word made pino throw, with its stack, as the app was built. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function readLogLevel (env: NodeJS.ProcessEnv): string {
  const level = (env.LOG_LEVEL ?? '').trim().toLowerCase()
  if (level === '') return 'info'
  if (!LOG_LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${env.LOG_LEVEL}"`)
  return level
}

function readSessionSecret (env: NodeJS.ProcessEnv): string | undefined {
  const secret = env.INBOX_SESSION_SECRET
  if (secret === undefined || secret === '') return undefined
  if (secret.length < 32) throw new Error('INBOX_SESSION_SECRET must have 32 characters or more')
  return secret
}

function list (value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '')
}

function readOAuth (env: NodeJS.ProcessEnv): HelpdeskConfig['oauth'] {
  const pairs = list(env.FIN_OAUTH_CLIENTS)
  if (pairs.length === 0) return undefined
  const clients = pairs.map((pair) => {
    const colon = pair.indexOf(':')
    if (colon <= 0 || colon === pair.length - 1) throw new Error('FIN_OAUTH_CLIENTS must be comma-separated client_id:client_secret pairs')
    return { id: pair.slice(0, colon), secret: pair.slice(colon + 1) }
  })
  const tokenTtl = integer(env, 'FIN_OAUTH_TOKEN_TTL', 3600, 1, 86_400 * 30)
  // Several processes must share it to accept each other's tokens (unset: one random secret per process).
  const signingSecret = env.FIN_OAUTH_SIGNING_SECRET
  return signingSecret === undefined || signingSecret === '' ? { clients, tokenTtl } : { clients, tokenTtl, signingSecret }
}

/** FIN_REGION and FIN_BASE_URL are checked whenever set, notifications on or off: a typo waits for no later day. */
function readNotify (env: NodeJS.ProcessEnv): HelpdeskConfig['notify'] {
  const region = env.FIN_REGION || 'us'
  if (region !== 'us' && region !== 'eu' && region !== 'au') throw new Error(`FIN_REGION must be us, eu or au, not "${region}"`)
  const baseUrl = env.FIN_BASE_URL || undefined
  if (baseUrl !== undefined) checkFinBaseUrl(baseUrl)
  const integrationId = env.FIN_INTEGRATION_ID ?? ''
  const webhookKey = env.FIN_WEBHOOK_KEY ?? ''
  if (integrationId === '' && webhookKey === '') return undefined
  if (integrationId === '' || webhookKey === '') throw new Error('set both FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY to notify Fin, or neither')
  return { integrationId, webhookKey, region, baseUrl }
}

function integer (env: NodeJS.ProcessEnv, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, not "${raw}"`)
  return value
}
