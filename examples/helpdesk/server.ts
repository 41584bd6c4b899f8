// `npm start`: the example helpdesk on SQLite. Settings from the environment (see README and config.ts).
import { buildHelpdesk, FIN_PREFIX } from './app.js'
import { readConfig } from './config.js'
import { configErrorLine } from './config-errors.js'
import { startTelemetry } from './telemetry.js'
import { keepGeneratedTokens } from './token-file.js'

/** A configuration mistake: one line naming the variable and the rule, exit 1; anything else keeps its stack. */
function stop (err: unknown, fromReadConfig = false): never {
  const line = configErrorLine(err, fromReadConfig)
  if (line === undefined) throw err
  process.stderr.write(`${line}\n`)
  process.exit(1)
}

// A generated token is kept beside the database and read back on the next start (token-file.ts).
const { config, kept } = (() => {
  try {
    return keepGeneratedTokens(readConfig(process.env, process.argv.includes('--postgres') ? 'postgres' : 'sqlite'))
  } catch (err) {
    return stop(err, true)
  }
})()
// OpenTelemetry first (only with OTEL_EXPORTER_OTLP_ENDPOINT set), so the plugin finds the SDK when it registers.
const telemetry = await startTelemetry(process.env)
const app = await buildHelpdesk(config, { level: process.env.LOG_LEVEL ?? 'info' }, undefined, telemetry).catch((err: unknown) => stop(err))

let closing = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    // close() stops accepting, lets in-flight requests finish, then closes the database.
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  })
}

const address = await app.listen({ host: config.host, port: config.port })
const base = `${address.replace('[::1]', 'localhost')}${FIN_PREFIX}`
// The shell fills in a token from the environment: the first of a comma-separated list.
const FROM_ENV = '"Authorization: Bearer $' + '{FIN_API_TOKEN%%,*}"'
// Only generated tokens are printed: one given in the environment stays out of terminals, scrollback and log files.
const token = config.tokenGenerated ? config.tokens[0]! : undefined
const generated = (file: string | undefined, variable: string) => file === undefined
  ? `(generated: a new one on every start; set ${variable} to keep one)`
  : `(generated, kept in ${file}: set ${variable} to choose your own)`
const authorization = `-H ${token === undefined ? FROM_ENV : `'Authorization: Bearer ${token}'`}`
// With signatures required, the curl signs as Fin does: HMAC-SHA256 of "<timestamp>:" (no body, no query) with the
// first secret, which the shell reads from FIN_SIGNING_SECRET (a secret is never printed).
const signed = '-H "X-Fin-Request-Timestamp: $ts" -H "X-Fin-Signature: $(printf \'%s:\' "$ts" | openssl dgst -sha256 -hmac "$' +
  '{FIN_SIGNING_SECRET%%,*}" | sed \'s/^.*= //\')"'
const tryIt = config.signingSecrets.length === 0
  ? `    curl -s ${authorization} ${base}/agents`
  : `    ts=$(date +%s); curl -s ${authorization} ${signed} ${base}/agents`
process.stdout.write([
  '',
  'Fin helpdesk is running.',
  `  API base URL: ${base}`,
  `  Bearer token: ${token === undefined ? 'from FIN_API_TOKEN (not printed)' : `${token}   ${generated(kept.fin, 'FIN_API_TOKEN')}`}`,
  `  Database:     ${config.backend === 'postgres' ? `${config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@')} schema ${config.dbSchema}, rate limit in ${config.redisUrl.replace(/\/\/[^@/]*@/, '//***@')}` : config.dbPath}`,
  `  Inbox:        ${address.replace('[::1]', 'localhost')}/inbox   (agents sign in with their email and password)`,
  ...app.inbox.generatedPasswords.map(({ email, password }) => `    ${email}   password: ${password}   (generated once: set AGENT_PASSWORDS to choose)`),
  `  Console:      ${address.replace('[::1]', 'localhost')}/console/conversations   token: ${config.consoleTokenGenerated ? `${config.consoleToken}   ${generated(kept.console, 'CONSOLE_TOKEN')}` : 'from CONSOLE_TOKEN (not printed)'}`,
  `  OAuth:        ${config.oauth === undefined ? 'off (set FIN_OAUTH_CLIENTS)' : `${base}/oauth/token for ${config.oauth.clients.map((c) => c.id).join(', ')}`}`,
  `  Signatures:   ${config.signingSecrets.length === 0 ? 'off (set FIN_SIGNING_SECRET)' : 'required on the Fin API'}`,
  `  notifyFin:    ${config.notify === undefined ? 'off (set FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY)' : `on, integration ${config.notify.integrationId}`}`,
  `  Telemetry:    ${telemetry === undefined ? 'off (set OTEL_EXPORTER_OTLP_ENDPOINT)' : `OpenTelemetry to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}`}`,
  config.signingSecrets.length === 0 ? '  Try it:' : '  Try it (signed with the first FIN_SIGNING_SECRET, in the shell where it is set):',
  tryIt,
  ''
].join('\n') + '\n')
