import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { createPrivateDatabase } from '../../examples/helpdesk/database-file.js'
import { keepGeneratedTokens, keptToken, tokenFiles } from '../../examples/helpdesk/token-file.js'

// `npm start` keeps a generated token beside the database (mode 0600) and reads it back on the next start.
// (A real restart of the process: helpdesk.e2e.test.ts.)
const dir = mkdtempSync(join(tmpdir(), 'fin-token-file-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/**
 * Runs `fn` under a umask that takes the owner's write bit: a file opened with mode 0600 is then made 0400 (a mode is
 * masked by the umask; no umask can add a bit, so only one that takes the owner's own shows a missing chmod).
 */
function underOwnerUmask<T> (fn: () => T): T {
  const umask = process.umask(0o200)
  try {
    return fn()
  } finally {
    process.umask(umask)
  }
}

t.test('a generated token is written once, mode 0600 whatever the umask, and read back after', async (t) => {
  const file = join(dir, 'new', 'folder', 'fin-api-token')
  // The folder first, under the usual umask: under 0200 it would be one its owner (if not root) cannot write in.
  mkdirSync(join(dir, 'new', 'folder'), { recursive: true })
  const first = 'a'.repeat(32)
  t.equal(underOwnerUmask(() => keptToken(file, first)), first)
  t.equal(readFileSync(file, 'utf8'), `${first}\n`)
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.equal(keptToken(file, 'b'.repeat(32)), first, 'the next start keeps the first token')
  chmodSync(file, 0o644)
  keptToken(file, 'c'.repeat(32))
  t.equal(statSync(file).mode & 0o777, 0o600, 'a file opened up by hand is closed again')
  writeFileSync(file, 'not a token\n')
  t.throws(() => keptToken(file, first), { message: `${file} does not hold a generated token: delete it, and a new one is made` })
})

t.test('generated Fin and console tokens survive a restart; tokens from the environment are never written', async (t) => {
  const dbPath = join(dir, 'data', 'helpdesk.db')
  const files = tokenFiles(dbPath)
  t.same(files, { fin: join(dir, 'data', 'fin-api-token'), console: join(dir, 'data', 'console-token') })
  const first = keepGeneratedTokens(readConfig({ FIN_DB_PATH: dbPath }))
  const second = keepGeneratedTokens(readConfig({ FIN_DB_PATH: dbPath }))
  t.same(second.config.tokens, first.config.tokens, 'the same Fin token')
  t.equal(second.config.consoleToken, first.config.consoleToken, 'the same console token')
  t.not(first.config.tokens[0], first.config.consoleToken)
  t.same(second.kept, files)
  t.equal(readFileSync(files.fin, 'utf8'), `${first.config.tokens[0]}\n`)

  const fromEnv = join(dir, 'env', 'helpdesk.db')
  const set = keepGeneratedTokens(readConfig({ FIN_DB_PATH: fromEnv, FIN_API_TOKEN: 'env-token-0123456789', CONSOLE_TOKEN: 'env-console-0123456789' }))
  t.same(set.config.tokens, ['env-token-0123456789'])
  t.same(set.kept, {})
  t.notOk(existsSync(join(dir, 'env')), 'nothing written')

  const postgres = keepGeneratedTokens(readConfig({ FIN_DB_PATH: join(dir, 'pg', 'x.db') }, 'postgres'))
  t.same(postgres.kept, {}, 'on PostgreSQL nothing is kept: the banner says the token changes')
  t.notOk(existsSync(join(dir, 'pg')))

  // FIN_DB_PATH=:memory: has no folder: the tokens were written into the working directory.
  const cwd = process.cwd()
  process.chdir(dir)
  t.teardown(() => process.chdir(cwd))
  t.same(keepGeneratedTokens(readConfig({ FIN_DB_PATH: ':memory:' })).kept, {}, 'in memory: nothing kept')
  t.notOk(existsSync(join(dir, 'fin-api-token')) || existsSync(join(dir, 'console-token')), 'nothing written where it runs')
})

t.test('the SQLite file (password hashes, sessions) is created 0600 like the tokens, and SQLite gives its -wal and -shm the same', async (t) => {
  const umask = process.umask(0o022)
  t.teardown(() => process.umask(umask))
  const dbPath = join(dir, 'private', 'data', 'helpdesk.db')
  const app = await buildHelpdesk(readConfig({ FIN_API_TOKEN: 'fin-token-0123456789abcdef', FIN_DB_PATH: dbPath }), false)
  t.teardown(() => app.close())
  await app.inject({ method: 'POST', url: '/api/fin/user', headers: { authorization: 'Bearer fin-token-0123456789abcdef' }, payload: { name: 'Jane' } })
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) t.equal(statSync(file).mode & 0o777, 0o600, file)
  const theirs = join(dir, 'private', 'theirs.db')
  writeFileSync(theirs, '', { mode: 0o640 })
  createPrivateDatabase(theirs)
  t.equal(statSync(theirs).mode & 0o777, 0o640, 'a file that exists keeps the mode its owner chose')
})

t.test('a new SQLite file is 0600 under a umask that takes the owner\'s write bit too (else 0400: a file SQLite cannot write)', async (t) => {
  const path = join(dir, 'umask', 'helpdesk.db')
  mkdirSync(join(dir, 'umask'))
  underOwnerUmask(() => createPrivateDatabase(path))
  t.equal(statSync(path).mode & 0o777, 0o600)
})

t.test(':memory: (and no path) creates no file, in the working folder or anywhere', async (t) => {
  const cwd = process.cwd()
  const work = join(dir, 'cwd')
  mkdirSync(work)
  process.chdir(work)
  t.teardown(() => process.chdir(cwd))
  createPrivateDatabase(':memory:')
  createPrivateDatabase('')
  t.same(readdirSync(work), [], 'no file named :memory: where it runs')
})
