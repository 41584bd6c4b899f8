import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { assertLike, assertNot } from '../../lib/testing/runner.js'
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

t.test('assertLike: a subset of properties, constructors as types, arrays of the same length', async (t) => {
  assertLike({ id: 'a', n: 1, ok: true, extra: 'x', list: [{ a: 1, b: 2 }] }, { id: String, n: Number, ok: Boolean, list: [{ a: 1 }] })
  t.throws(() => assertLike({ id: 1 }, { id: String }), { code: 'ERR_ASSERTION' })
  t.throws(() => assertLike({}, { id: String }), { code: 'ERR_ASSERTION' }, 'a missing property fails')
  t.throws(() => assertLike({ list: [1, 2] }, { list: [1] }), { code: 'ERR_ASSERTION' }, 'arrays of another length fail')
  t.throws(() => assertLike({ list: 'x' }, { list: [1] }), { code: 'ERR_ASSERTION' })
  t.throws(() => assertLike(null, { a: 1 }), { code: 'ERR_ASSERTION' })
  t.throws(() => assertLike([1], { a: 1 }), { code: 'ERR_ASSERTION' }, 'an array is not an object pattern')
  assertNot(null)
  t.throws(() => assertNot('x'), { code: 'ERR_ASSERTION' })
})
