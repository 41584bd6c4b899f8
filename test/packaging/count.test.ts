import t from 'tap'
import { countTap } from '../tools/count.mjs'

// test/tools/count.mjs turns each file's TAP into the counts npm test, npm run test:e2e and .ci/run report: tests
// (a t.test() with no t.test() inside), never tap's assertion points.
const tap = (...lines: string[]) => ['TAP version 14', ...lines].join('\n') + '\n'

t.test('tests are the innermost t.test() blocks; their assertions are counted apart', async (t) => {
  const counts = countTap(tap(
    '# Subtest: a',
    '    ok 1 - x',
    '    ok 2 - y',
    '    1..2',
    'ok 1 - a # time=3ms',
    '# Subtest: group',
    '    # Subtest: b',
    '        ok 1 - x',
    '        1..1',
    '    ok 1 - b # time=1ms',
    '    # Subtest: c',
    '        not ok 1 - should be equal',
    '        1..1',
    '    not ok 2 - c # time=1ms',
    '    1..2',
    'not ok 2 - group # time=5ms',
    '# Subtest: Redis is not reachable',
    '    1..0',
    'ok 3 - Redis is not reachable # SKIP Redis at redis://127.0.0.1:6379 is not reachable',
    '1..3',
    '# time=123.5ms'
  ))
  t.same(counts, { passed: 2, failed: 1, skipped: 1, assertions: 4, failedAssertions: 1, ms: 123.5, failures: ['c'] })
})

t.test('a failure outside every test, or a file cut short, is one failed test', async (t) => {
  t.match(countTap(tap(
    '# Subtest: a',
    '    ok 1 - x',
    '    1..1',
    'ok 1 - a # time=3ms',
    'not ok 2 - Error: boom'
  )), { passed: 1, failed: 1, failures: ['(outside every test: the file crashed or timed out)'] })
  t.match(countTap(tap(
    '# Subtest: a',
    '    ok 1 - x',
    '    1..1',
    'ok 1 - a # time=3ms'
  )), { passed: 1, failed: 1 }, 'no plan: the file did not finish')
  t.match(countTap(tap(
    '# Subtest: parent',
    '    # Subtest: child',
    '        ok 1 - x',
    '        1..1',
    '    ok 1 - child',
    '    not ok 2 - the parent\'s own check',
    '    1..2',
    'not ok 1 - parent',
    '1..1'
  )), { passed: 1, failed: 1, failures: ['parent'] })
})

t.test('a file without t.test() is one test', async (t) => {
  t.match(countTap(tap('ok 1 - x', 'ok 2 - y', '1..2')), { passed: 1, failed: 0, assertions: 2 })
  t.match(countTap(tap('ok 1 - x', 'not ok 2 - y', '1..2')), { passed: 0, failed: 1, failedAssertions: 1 })
})
