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
  // Node's fetch refuses a URL with credentials: every delivery would fail. An "@" anywhere is userinfo meant, cut
  // short by a "/", "?" or "#" in the password; no Fin webhook URL has one.
  const parsed = new URL(base)
  if (parsed.username !== '' || parsed.password !== '' || base.includes('@')) throw new ConfigError('FIN_BASE_URL', 'must not contain a user or password')
  if (!base.startsWith('https://') && !LOOPBACK.test(base)) {
    throw new ConfigError('FIN_BASE_URL', 'notify.baseUrl must be https (the webhook key would travel in clear), or on a loopback host')
  }
}

/** REDIS_URL as `npm run start:postgres` hands it to ioredis, which throws (with the URL in its stack) on what it cannot parse. */
export function checkRedisUrl (url: string): void {
  if (!/^rediss?:\/\//i.test(url) || maskUrl(url) === UNPARSEABLE) {
    throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL with a numeric port (percent-encode a password\'s "/", "?", "#" and "@")')
  }
}

/** What is printed instead of a URL that does not parse: any part of it could be a password. */
export const UNPARSEABLE = '<unparseable URL>'

/** Query parameters that carry a credential (pg honours ?password= and ?sslpassword=, ioredis ?password=). */
const SECRET_PARAM = /pass|pwd|secret|token|key|auth|credential|signature/i

/**
 * A URL fit to print: its password and any credential in its query (password, pass, pwd, secret, token, ...)
 * replaced by ***. A URL that does not parse is not printed at all (a password with "/" or "#" breaks the parse,
 * and the input would show it), nor one whose "@" the parser did not read as the end of a user and password (a
 * password starting with digits and holding "/", "?" or "#" parses as a port followed by a path, query or fragment).
 */
export function maskUrl (url: string): string {
  if (!URL.canParse(url)) return UNPARSEABLE
  const parsed = new URL(url)
  if (parsed.username === '' && parsed.password === '' && url.includes('@')) return UNPARSEABLE
  let masked = false
  if (parsed.password !== '') {
    parsed.password = '***'
    masked = true
  }
  const params = [...parsed.searchParams]
  if (params.some(([name]) => SECRET_PARAM.test(name))) {
    parsed.search = params.map(([name, value]) => `${encodeURIComponent(name)}=${SECRET_PARAM.test(name) ? '***' : encodeURIComponent(value)}`).join('&')
    masked = true
  }
  return masked ? parsed.href : url
}

/** The parts of a URL that must never be printed: its password and credential query values, raw and decoded; all of an unparseable one. */
function secretsOf (url: string): string[] {
  if (maskUrl(url) === UNPARSEABLE) {
    // The whole input, and what sits between "//" and its last "@" (the user and password, as meant).
    const userinfo = /\/\/(.*)@/.exec(url)?.[1]
    return [url, ...(userinfo === undefined ? [] : [userinfo, ...userinfo.split(':').slice(1)])]
  }
  const parsed = new URL(url)
  const raw = [parsed.password, ...[...parsed.searchParams].filter(([name]) => SECRET_PARAM.test(name)).map(([, value]) => value)]
  return raw.flatMap((value) => [value, safeDecode(value), encodeURIComponent(value)])
}

function safeDecode (value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Why a connection failed, in a line without the URL's secrets (Node 20 wraps refused connections in an AggregateError with no message). */
export function causeOf (err: unknown, url: string): string {
  const error = err as Error & { code?: string, errors?: Error[] }
  let cause = String(error?.message || error?.errors?.[0]?.message || error?.code || String(err)).split('\n')[0]!
  // Longest first: a secret that holds a shorter one is replaced whole.
  const secrets = [...new Set(secretsOf(url))].filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length)
  for (const secret of secrets) cause = cause.split(secret).join(secret === url ? UNPARSEABLE : '***')
  return cause
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
