import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Creates the SQLite file empty, readable by its owner only (0600, like the token files beside it), when it does not
 * exist yet: it holds the inbox's password hashes and sessions. SQLite gives the -wal and -shm files the database
 * file's mode. A file that exists keeps its mode: it was made by someone who chose it.
 */
export function createPrivateDatabase (path: string): void {
  if (path === '' || path === ':memory:') return
  mkdirSync(dirname(path), { recursive: true })
  try {
    writeFileSync(path, '', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return
    throw err
  }
  // Exactly 0600, whatever the umask left of the mode above.
  chmodSync(path, 0o600)
}
