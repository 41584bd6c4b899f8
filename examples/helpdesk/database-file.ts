import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ConfigError } from './config-errors.js'

/**
 * Creates the SQLite file empty, readable by its owner only (0600, like the token files beside it), when it does not
 * exist yet: it holds the inbox's password hashes and sessions. SQLite gives the -wal and -shm files the database
 * file's mode. A file that exists keeps its mode: it was made by someone who chose it. A path that cannot be a
 * database file (a folder, a path through a file, a folder it may not write) stops the start in one line
 * (databasePathError).
 */
export function createPrivateDatabase (path: string): void {
  if (path === '' || path === ':memory:') return
  refuseFolder(path)
  try {
    // EEXIST here is a file where a folder should be (e.g. /etc/hostname/x.db).
    mkdirSync(dirname(path), { recursive: true })
  } catch (err) {
    throw databasePathError(path, err)
  }
  try {
    writeFileSync(path, '', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return
    throw databasePathError(path, err)
  }
  // Exactly 0600: the mode above is masked by the umask, which may take the owner's own bits (umask 0200: 0400, a
  // file SQLite could not write).
  chmodSync(path, 0o600)
}

/** FIN_DB_PATH naming a folder: SQLite cannot open it, and the token files would land in the folder above it. */
export function refuseFolder (path: string): void {
  let folder: boolean
  try {
    folder = statSync(path, { throwIfNoEntry: false })?.isDirectory() === true
  } catch (err) {
    // ENOTDIR (a file in its path), EACCES: what opening it would meet too.
    throw databasePathError(path, err)
  }
  if (folder) {
    throw new ConfigError('FIN_DB_PATH', `${path} is a folder: give the path of a file, e.g. ${join(path, 'helpdesk.db')}`)
  }
}

/** One line naming FIN_DB_PATH and why it cannot be used (the file system's or SQLite's reason). */
export function databasePathError (path: string, err: unknown): ConfigError {
  const reason = String((err as Error | null)?.message ?? err).split('\n')[0]
  return new ConfigError('FIN_DB_PATH', `cannot use ${path}: ${reason}`)
}
