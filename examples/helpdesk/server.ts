// `npm start`: the example helpdesk on SQLite. Settings from the environment (see README and config.ts).
import { buildHelpdesk, FIN_PREFIX } from './app.js'
import { readConfig } from './config.js'
import { configErrorLine } from './config-errors.js'
import { startTelemetry } from './telemetry.js'

/** A configuration mistake: one line naming the variable and the rule, exit 1; anything else keeps its stack. */
function stop (err: unknown, fromReadConfig = false): never {
  const line = configErrorLine(err, fromReadConfig)
  if (line === undefined) throw err
  process.stderr.write(`${line}\n`)
  process.exit(1)
}

const config = (() => {
  try {
    return readConfig(process.env, process.argv.includes('--postgres') ? 'postgres' : 'sqlite')
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
process.stdout.write([
  '',
  'Fin helpdesk is running.',
  `  API base URL: ${base}`,
  `  Bearer token: ${token === undefined ? 'from FIN_API_TOKEN (not printed)' : `${token}   (generated: set FIN_API_TOKEN to choose your own)`}`,
  `  Database:     ${config.backend === 'postgres' ? `${config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@')} schema ${config.dbSchema}, rate limit in ${config.redisUrl}` : config.dbPath}`,
  `  Inbox:        ${address.replace('[::1]', 'localhost')}/inbox   (agents sign in with their email and password)`,
  ...app.inbox.generatedPasswords.map(({ email, password }) => `    ${email}   password: ${password}   (generated once: set AGENT_PASSWORDS to choose)`),
  `  Console:      ${address.replace('[::1]', 'localhost')}/console/conversations   token: ${config.consoleTokenGenerated ? `${config.consoleToken}   (generated: set CONSOLE_TOKEN)` : 'from CONSOLE_TOKEN (not printed)'}`,
  `  OAuth:        ${config.oauth === undefined ? 'off (set FIN_OAUTH_CLIENTS)' : `${base}/oauth/token for ${config.oauth.clients.map((c) => c.id).join(', ')}`}`,
  `  Signatures:   ${config.signingSecrets.length === 0 ? 'off (set FIN_SIGNING_SECRET)' : 'required on the Fin API'}`,
  `  notifyFin:    ${config.notify === undefined ? 'off (set FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY)' : `on, integration ${config.notify.integrationId}`}`,
  `  Telemetry:    ${telemetry === undefined ? 'off (set OTEL_EXPORTER_OTLP_ENDPOINT)' : `OpenTelemetry to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}`}`,
  '  Try it:',
  `    curl -s -H ${token === undefined ? FROM_ENV : `'Authorization: Bearer ${token}'`} ${base}/agents`,
  ''
].join('\n') + '\n')
