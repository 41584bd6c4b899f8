import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { tsLoader } from '../fixtures/spawn.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function runNodeTest (env: Record<string, string>): { status: number | null, output: string } {
  const child = spawnSync(process.execPath, [...tsLoader(), '--test-reporter=tap', 'test/fixtures/contract-node-test.ts'], {
    cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000
  })
  return { status: child.status, output: child.stdout + child.stderr }
}

t.test('without a runner given, the suites run on node:test: every storage and outbox case passes', async (t) => {
  const { status, output } = runNodeTest({})
  t.equal(status, 0, output)
  // Other lanes add cases: count what ran rather than a fixed number.
  const tests = Number(/^# tests (\d+)$/m.exec(output)?.[1])
  t.ok(tests >= 19, `${tests} cases ran (12 storage and 7 outbox cases at least)`)
  t.match(output, new RegExp(`^# pass ${tests}$`, 'm'))
  t.match(output, /^# fail 0$/m)
  t.match(output, /ok \d+ - FinStorage contract: MemoryStorage/)
})

t.test('a broken adapter fails the node:test run (exit code 1) and names the case', async (t) => {
  const { status, output } = runNodeTest({ BREAK: '1' })
  t.equal(status, 1, output)
  t.match(output, /^# fail 1$/m)
  t.match(output, /not ok \d+ - messages: order, after_id, not found/)
})
