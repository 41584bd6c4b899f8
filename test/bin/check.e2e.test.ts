import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../fixtures/strict-host.js'
import { tsLoader } from '../fixtures/spawn.js'

// fin-helpdesk-check's bin in its own process: its exit codes and stderr (the CLI's logic runs in-process in
// check.test.ts and check-cli.test.ts).
const dir = mkdtempSync(join(tmpdir(), 'fin-check-bin-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

async function bin (args: string[]): Promise<{ code: unknown, stderr: string }> {
  const child = spawn(process.execPath, [...tsLoader(), 'lib/bin/check.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  return { code, stderr }
}

t.test('the bin runs the CLI in its own process: exit code and stderr', async (t) => {
  const { code, stderr } = await bin(['--token', 'x'])
  t.equal(code, 2)
  t.match(stderr, /^--url is required\n\nUsage: fin-helpdesk-check --url/)
})

t.test('the bin: a crash of the CLI (an unwritable --junit) exits 2 with the error on stderr', async (t) => {
  // A server that answers 404 to everything (kept on its port 0 until the end): the checks run and fail, then the
  // report cannot be written. (Against a server that drops connections the bin exits 0 with no output: see the
  // report of issue #21.)
  const server = createServer((_req, res) => { res.writeHead(404, { 'content-type': 'application/json' }).end('{}') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const { code, stderr } = await bin(['--url', url, '--token', 't', '--variant', 'posts-only', '--junit', join(dir, 'missing-dir', 'report.xml')])
  t.equal(code, 2)
  t.match(stderr, /^fin-helpdesk-check: Error: ENOENT: no such file or directory, open '.*missing-dir[/\\]report\.xml'\n {4}at /m)
})
