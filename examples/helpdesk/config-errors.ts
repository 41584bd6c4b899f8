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
  return config
}

/** FIN_BASE_URL as the plugin's notify.baseUrl takes it (checked even with notifications off). */
export function checkFinBaseUrl (base: string): void {
  if (!/^https?:\/\/\S+$/.test(base) || !URL.canParse(base)) throw new ConfigError('FIN_BASE_URL', 'notify.baseUrl must be an http(s) URL')
  if (!base.startsWith('https://') && !LOOPBACK.test(base)) {
    throw new ConfigError('FIN_BASE_URL', 'notify.baseUrl must be https (the webhook key would travel in clear), or on a loopback host')
  }
}

/** A URL fit to print: its password, if it has one, replaced by ***. */
export function maskUrl (url: string): string {
  if (!URL.canParse(url)) return url.replace(/\/\/[^@/]*@/, '//***@')
  const parsed = new URL(url)
  if (parsed.password === '') return url
  parsed.password = '***'
  return parsed.href
}

/** Why a connection failed, in a line without the URL's password (Node 20 wraps refused connections in an AggregateError with no message). */
export function causeOf (err: unknown, url: string): string {
  const error = err as Error & { code?: string, errors?: Error[] }
  const cause = error.message || error.errors?.[0]?.message || error.code || String(err)
  const password = URL.canParse(url) ? decodeURIComponent(new URL(url).password) : ''
  return password === '' ? cause : cause.split(password).join('***')
}

/** Why a listen failed, by the variable to change: HOST not an address of this machine, or PORT taken or privileged. */
const LISTEN_ERRORS: Record<string, ['HOST' | 'PORT', string]> = {
  ENOTFOUND: ['HOST', 'not an address of this machine'],
  EAI_AGAIN: ['HOST', 'not an address of this machine'],
  EADDRNOTAVAIL: ['HOST', 'not an address of this machine'],
  EAFNOSUPPORT: ['HOST', 'an address family this machine does not have'],
  EADDRINUSE: ['PORT', 'already in use'],
  EACCES: ['PORT', 'needs privileges (use one above 1023)']
}

/** The one line for a failed listen; undefined for any other error (a real failure: its stack). */
export function listenErrorLine (err: unknown, host: string, port: number): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  const known = typeof code === 'string' ? LISTEN_ERRORS[code] : undefined
  if (known === undefined) return undefined
  return `fin-helpdesk: ${known[0]}: cannot listen on ${host} port ${port}: ${known[1]} (${(err as Error).message})`
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
