import type { HelpdeskConfig } from './config.js'

/**
 * The shortest token or secret the helpdesk starts with: the plugin refuses shorter `tokens`, `signature.secrets`
 * and OAuth client secrets with the same words (a 16-character secret is guessable by nobody; 32 random bytes,
 * `openssl rand -base64 32`, are what to use).
 */
export const MIN_SECRET_LENGTH = 16

/** A setting the helpdesk cannot start with. Its message is one line: the variable, then the rule it breaks. */
export class ConfigError extends Error {
  constructor (readonly variable: string, rule: string) {
    super(`${variable}: ${rule}`)
    this.name = 'ConfigError'
  }
}

const LOOPBACK = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i

/**
 * What the plugin would refuse at register time (with a stack trace, after opening the database), checked before
 * anything starts and named by its environment variable. The rules are the plugin's, in its words.
 */
export function checkConfig (config: HelpdeskConfig): HelpdeskConfig {
  const short = (value: string, min = MIN_SECRET_LENGTH): boolean => value.length < min
  if (!config.tokenGenerated && config.tokens.some((token) => short(token))) {
    throw new ConfigError('FIN_API_TOKEN', `tokens must have at least ${MIN_SECRET_LENGTH} characters each`)
  }
  if (!config.consoleTokenGenerated && short(config.consoleToken)) {
    throw new ConfigError('CONSOLE_TOKEN', `the console token must have at least ${MIN_SECRET_LENGTH} characters`)
  }
  const ids = new Set<string>()
  for (const client of config.oauth?.clients ?? []) {
    if (!/^[\x21-\x7e]{1,128}$/.test(client.id)) throw new ConfigError('FIN_OAUTH_CLIENTS', 'oauth client ids must be 1-128 printable characters without ":"')
    if (short(client.secret)) throw new ConfigError('FIN_OAUTH_CLIENTS', `oauth client ${client.id}: the secret must have at least ${MIN_SECRET_LENGTH} characters`)
    if (ids.has(client.id)) throw new ConfigError('FIN_OAUTH_CLIENTS', `oauth client ${client.id} is listed twice`)
    ids.add(client.id)
  }
  const signingSecret = config.oauth?.signingSecret
  if (signingSecret !== undefined && short(signingSecret, 32)) {
    throw new ConfigError('FIN_OAUTH_SIGNING_SECRET', 'oauth.signingSecret must be a string of at least 32 characters')
  }
  if (config.signingSecrets.some((secret) => short(secret))) {
    throw new ConfigError('FIN_SIGNING_SECRET', `signature.secrets must have at least ${MIN_SECRET_LENGTH} characters each`)
  }
  const base = config.notify?.baseUrl
  if (base !== undefined && !/^https:\/\/[^\s]+$/.test(base) && !LOOPBACK.test(base)) {
    throw new ConfigError('FIN_BASE_URL', 'notify.baseUrl must be https (the webhook key would travel in clear), or on a loopback host')
  }
  return config
}

/**
 * The one line to print, on stderr, for an error that stops the start: everything readConfig throws (each message
 * names its variable), and the plugin's options errors; undefined for anything else (a real failure: its stack).
 */
export function configErrorLine (err: unknown, fromReadConfig = false): string | undefined {
  if (err instanceof ConfigError || (fromReadConfig && err instanceof Error)) return `fin-helpdesk: ${err.message}`
  if ((err as { code?: unknown } | null)?.code === 'FIN_ERR_OPTIONS') return `fin-helpdesk: ${(err as Error).message}`
  return undefined
}
