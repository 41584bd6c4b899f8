// Generated tokens that survive restarts: `npm start` without FIN_API_TOKEN (or CONSOLE_TOKEN) generates one and
// keeps it in a file beside the SQLite database, readable by its owner only (mode 0600), so the token entered in
// the Fin Deployment UI (and the inbox's sign-in) stays valid after a restart. A token from the environment is never
// written anywhere. Delete the file for a new token.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { HelpdeskConfig } from './config.js'
import { databasePathError, refuseFolder } from './database-file.js'

/** The files beside the database that hold the generated Fin API and console tokens. */
export function tokenFiles (dbPath: string): { fin: string, console: string } {
  return { fin: join(dirname(dbPath), 'fin-api-token'), console: join(dirname(dbPath), 'console-token') }
}

/** The token kept in `file`, or `generated`, written there first (mode 0600). */
export function keptToken (file: string, generated: string): string {
  let kept: string | undefined
  try {
    kept = readFileSync(file, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (kept !== undefined) {
    if (!/^[\w-]{32,}$/.test(kept)) throw new Error(`${file} does not hold a generated token: delete it, and a new one is made`)
    chmodSync(file, 0o600)
    return kept
  }
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${generated}\n`, { mode: 0o600, flag: 'wx' })
  // The mode above is masked by the umask; a token file is its owner's only, whatever the umask.
  chmodSync(file, 0o600)
  return generated
}

/**
 * The configuration with each generated token replaced by the one kept beside the database (a SQLite file only:
 * instances on PostgreSQL share no folder, so there a token is set in the environment or changes on every start).
 */
export function keepGeneratedTokens (config: HelpdeskConfig): { config: HelpdeskConfig, kept: { fin?: string, console?: string } } {
  // An in-memory database has no folder: its tokens would land in the working directory, outliving the data.
  if (config.backend !== 'sqlite' || config.dbPath === ':memory:') return { config, kept: {} }
  if (!config.tokenGenerated && !config.consoleTokenGenerated) return { config, kept: {} }
  // Checked before any file is written: a folder's tokens would land in the folder above it.
  refuseFolder(config.dbPath)
  const files = tokenFiles(config.dbPath)
  const kept: { fin?: string, console?: string } = {}
  let { tokens, consoleToken } = config
  // A path through a file, or a folder it may not write: the same one line as when the database is opened (app.ts).
  const keep = (file: string, generated: string): string => {
    try {
      return keptToken(file, generated)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === undefined) throw err
      throw databasePathError(config.dbPath, err)
    }
  }
  if (config.tokenGenerated) {
    tokens = [keep(files.fin, config.tokens[0]!)]
    kept.fin = files.fin
  }
  if (config.consoleTokenGenerated) {
    consoleToken = keep(files.console, config.consoleToken)
    kept.console = files.console
  }
  return { config: { ...config, tokens, consoleToken }, kept }
}
