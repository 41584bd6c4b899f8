import { FIN_PREFIX, isLoopback } from './app.js'
import type { HelpdeskConfig } from './config.js'
import { maskUrl } from './config-errors.js'

/** What `npm start` knows once it listens, for the lines it prints. */
export interface BannerFacts {
  config: HelpdeskConfig
  /** What app.listen answered, e.g. http://127.0.0.1:3000. */
  address: string
  /** Where the generated tokens are kept (token-file.ts). */
  kept: { fin?: string, console?: string }
  /** The inbox's passwords: generated at this start (printed once), and the agents who keep theirs (generated and printed earlier, maybe by another instance, or set by AGENT_PASSWORDS at an earlier start). */
  passwords: { generated: Array<{ email: string, password: string }>, kept: string[] }
  /** Whether the OpenTelemetry SDK started. */
  telemetry: boolean
  env: NodeJS.ProcessEnv
}

/** The regions' webhook bases, as the plugin has them (lib/notify/webhook.ts; test/examples/banner.test.ts holds them equal). */
const REGION_BASE_URLS = {
  us: 'https://api.intercom.io/hooks/standalone',
  eu: 'https://api.eu.intercom.io/hooks/standalone',
  au: 'https://api.au.intercom.io/hooks/standalone'
} as const

/** The URL notifyFin posts to: FIN_BASE_URL when set (FIN_REGION is then ignored), else the region's. The key travels in a header. */
export function finWebhookUrl (notify: NonNullable<HelpdeskConfig['notify']>): string {
  const base = notify.baseUrl ?? REGION_BASE_URLS[notify.region ?? 'us']
  return `${maskUrl(base).replace(/\/+$/, '')}/custom_helpdesk_conversation_event/${encodeURIComponent(notify.integrationId)}`
}

/** The banner: where everything is, which token to use, what is on or off and why. Secrets set in the environment are never printed. */
export function banner ({ config, address, kept, passwords, telemetry, env }: BannerFacts): string {
  const origin = address.replace('[::1]', 'localhost')
  const base = `${origin}${FIN_PREFIX}`
  // The shell fills in a token from the environment: the first of a comma-separated list.
  const fromEnv = '"Authorization: Bearer $' + '{FIN_API_TOKEN%%,*}"'
  // Only generated tokens are printed: one given in the environment stays out of terminals, scrollback and log files.
  const token = config.tokenGenerated ? config.tokens[0]! : undefined
  const generated = (file: string | undefined, variable: string) => file === undefined
    ? `(generated: a new one on every start; set ${variable} to keep one)`
    : `(generated, kept in ${file}: set ${variable} to choose your own)`
  const authorization = `-H ${token === undefined ? fromEnv : `'Authorization: Bearer ${token}'`}`
  // With signatures required, the curl signs as Fin does: HMAC-SHA256 of "<timestamp>:" (no body, no query) with the
  // first secret, which the shell reads from FIN_SIGNING_SECRET (a secret is never printed).
  const signed = '-H "X-Fin-Request-Timestamp: $ts" -H "X-Fin-Signature: $(printf \'%s:\' "$ts" | openssl dgst -sha256 -hmac "$' +
    '{FIN_SIGNING_SECRET%%,*}" | sed \'s/^.*= //\')"'
  const tryIt = config.signingSecrets.length === 0
    ? `    curl -s ${authorization} ${base}/agents`
    : `    ts=$(date +%s); curl -s ${authorization} ${signed} ${base}/agents`
  const database = config.backend === 'postgres'
    ? `${maskUrl(config.databaseUrl)} schema ${config.dbSchema}, rate limit in ${maskUrl(config.redisUrl)} (shared by the instances; it fails open, unlimited, while Redis is unreachable)`
    : config.dbPath
  return [
    '',
    'Fin helpdesk is running.',
    `  API base URL: ${base}`,
    `  Bearer token: ${token === undefined ? 'from FIN_API_TOKEN (not printed)' : `${token}   ${generated(kept.fin, 'FIN_API_TOKEN')}`}`,
    `  Database:     ${database}`,
    `  Inbox:        ${origin}/inbox   (agents sign in with their email and password)`,
    ...signInNote(config),
    ...passwords.generated.map(({ email, password }) => `    ${email}   password: ${password}   (generated once: set AGENT_PASSWORDS to choose)`),
    ...[...config.agentPasswords.keys()].map((email) => `    ${email}   password: set by AGENT_PASSWORDS (not printed)`),
    ...passwords.kept.map((email) => `    ${email}   password: unchanged: the one printed when it was generated, or last set by AGENT_PASSWORDS (only its hash is kept: AGENT_PASSWORDS sets a new one)`),
    `  Console:      ${origin}/console/conversations   token: ${config.consoleTokenGenerated ? `${config.consoleToken}   ${generated(kept.console, 'CONSOLE_TOKEN')}` : 'from CONSOLE_TOKEN (not printed)'}`,
    `  OAuth:        ${config.oauth === undefined ? 'off (set FIN_OAUTH_CLIENTS)' : `${base}/oauth/token for ${config.oauth.clients.map((c) => c.id).join(', ')}`}`,
    `  Signatures:   ${config.signingSecrets.length === 0 ? 'off (set FIN_SIGNING_SECRET)' : 'required on the Fin API'}`,
    `  notifyFin:    ${notifyLine(config, env)}`,
    `  Telemetry:    ${telemetryLine(telemetry, env)}`,
    config.signingSecrets.length === 0 ? '  Try it:' : '  Try it (signed with the first FIN_SIGNING_SECRET, in the shell where it is set):',
    tryIt,
    ''
  ].join('\n') + '\n'
}

/** Off loopback the session cookie is Secure: sign-in works over HTTPS only, whatever address the request came from. */
function signInNote (config: HelpdeskConfig): string[] {
  if (isLoopback(config.host)) return []
  if (config.trustProxy === false) {
    return [`    sign-in needs HTTPS: HOST ${config.host} is not loopback, so the session cookie is Secure; serve the helpdesk behind a TLS proxy with TRUST_PROXY set, or set HOST=127.0.0.1`]
  }
  return ['    sign-in needs HTTPS: through your TLS proxy (TRUST_PROXY); plain http to this address is refused']
}

function notifyLine (config: HelpdeskConfig, env: NodeJS.ProcessEnv): string {
  const notify = config.notify
  if (notify === undefined) return 'off (set FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY)'
  const both = notify.baseUrl !== undefined && (env.FIN_REGION ?? '') !== '' ? '   (FIN_BASE_URL wins: FIN_REGION is ignored)' : ''
  return `on, integration ${notify.integrationId}: POST ${finWebhookUrl(notify)}${both}`
}

function telemetryLine (telemetry: boolean, env: NodeJS.ProcessEnv): string {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? ''
  if (telemetry) return `OpenTelemetry to ${maskUrl(endpoint)}`
  // startTelemetry starts nothing with an endpoint only when the SDK is disabled.
  return endpoint === '' ? 'off (set OTEL_EXPORTER_OTLP_ENDPOINT)' : 'off (OTEL_SDK_DISABLED=true)'
}
