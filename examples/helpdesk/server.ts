// `npm start`: the example helpdesk on SQLite. Settings from the environment (see README and config.ts).
import { buildHelpdesk } from './app.js'
import { banner } from './banner.js'
import { readConfig } from './config.js'
import { configErrorLine, listenErrorLine } from './config-errors.js'
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
const app = await buildHelpdesk(config, { level: config.logLevel }, undefined, telemetry).catch((err: unknown) => stop(err))

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

// A failed listen (HOST not this machine's, PORT taken) is a setting to change: one line, exit 1.
const address = await app.listen({ host: config.host, port: config.port }).catch(async (err: unknown) => {
  const line = listenErrorLine(err, config.host, config.port)
  if (line === undefined) throw err
  process.stderr.write(`${line}\n`)
  await app.close().catch(() => {})
  return process.exit(1)
})
// Only now, listening: a start that cannot listen (another one has the PORT) writes no password it would never print,
// and so removes none that another start printed. Instances generating at once: each password is added by one.
const passwords = await app.inbox.generatePasswords()
process.stdout.write(banner({
  config,
  address,
  kept,
  passwords,
  telemetry: telemetry !== undefined,
  env: process.env
}))
