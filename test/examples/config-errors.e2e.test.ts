import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { tsLoader } from '../fixtures/spawn.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Starts examples/helpdesk/server.ts as `npm start` would; resolves with its exit code and output once it exits. */
function start (env: Record<string, string>): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [...tsLoader(), 'examples/helpdesk/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', FIN_DB_PATH: ':memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

t.test('a configuration mistake stops the example with one line on stderr and exit code 1, no stack trace', async (t) => {
  const [token, clients, duplicate] = await Promise.all([
    start({ FIN_API_TOKEN: 'x' }),
    start({ FIN_OAUTH_CLIENTS: 'fin-without-a-secret' }),
    start({ FIN_OAUTH_CLIENTS: 'fin:secret-0123456789abcdef,fin:secret-0123456789abcdef' })
  ])
  t.same(token, { code: 1, stdout: '', stderr: 'fin-helpdesk: FIN_API_TOKEN: tokens must have at least 16 characters each\n' })
  t.same(clients, { code: 1, stdout: '', stderr: 'fin-helpdesk: FIN_OAUTH_CLIENTS must be comma-separated client_id:client_secret pairs\n' })
  t.same(duplicate, { code: 1, stdout: '', stderr: 'fin-helpdesk: FIN_OAUTH_CLIENTS: oauth client fin is listed twice\n' })
})
