import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../fixtures/strict-host.js'

// test/tools/coverage.mjs is npm test's coverage gate: it must pass at the minimums and fail below them.
const dir = mkdtempSync(join(tmpdir(), 'fin-coverage-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

function figures (covered: number, total: number) {
  return { covered, total, skipped: 0, pct: (100 * covered) / total }
}

function check (lib: Record<string, { lines: number, branches: number }>, args: string[] = []): { status: number | null, output: string } {
  const summary: Record<string, unknown> = { total: {} }
  for (const [file, { lines, branches }] of Object.entries(lib)) {
    summary[join(ROOT, file)] = { lines: figures(lines, 100), statements: figures(lines, 100), branches: figures(branches, 100), functions: figures(9, 10) }
  }
  const path = join(dir, `summary-${Math.random()}.json`)
  writeFileSync(path, JSON.stringify(summary))
  const run = spawnSync(process.execPath, ['test/tools/coverage.mjs', ...args, path], { cwd: ROOT, encoding: 'utf8' })
  return { status: run.status, output: run.stdout + run.stderr }
}

t.test('at or above the minimums (95% of lines, 95% of branches): passes, and says so', async (t) => {
  const { status, output } = check({ 'lib/a.ts': { lines: 95, branches: 100 }, 'lib/b.ts': { lines: 100, branches: 90 } })
  t.equal(status, 0, output)
  t.match(output, /lines\s+97\.50%\s+\(195\/200\)\s+minimum 95%\s+ok/)
  t.match(output, /branches\s+95\.00%\s+\(190\/200\)\s+minimum 95%\s+ok/)
})

t.test('below a minimum: fails, naming the measure; files outside lib/ do not count', async (t) => {
  const { status, output } = check({ 'lib/a.ts': { lines: 94, branches: 94 }, 'examples/x.ts': { lines: 100, branches: 100 } })
  t.equal(status, 1, output)
  t.match(output, /lines\s+94\.00%\s+\(94\/100\)\s+minimum 95%\s+BELOW THE MINIMUM/)
  t.match(output, /branches\s+94\.00%\s+\(94\/100\)\s+minimum 95%\s+BELOW THE MINIMUM/)
  t.match(output, /coverage of lib\/ \(1 files/)
})

t.test('each tier is held to the minimums on its own files: lib/postgres by the e2e tier, the rest by the unit tier', async (t) => {
  const lib = { 'lib/a.ts': { lines: 100, branches: 100 }, 'lib/postgres/storage.ts': { lines: 50, branches: 50 } }
  const unit = check(lib, ['--tier', 'unit'])
  t.equal(unit.status, 0, unit.output)
  t.match(unit.output, /coverage of lib\/ less lib\/postgres\/ \(the e2e tier's\) \(1 files/)
  const e2e = check(lib, ['--tier', 'e2e'])
  t.equal(e2e.status, 1, e2e.output)
  t.match(e2e.output, /coverage of lib\/postgres\/ \(1 files[^]*lines\s+50\.00%\s+\(50\/100\)\s+minimum 95%\s+BELOW THE MINIMUM/)
  const both = check(lib)
  t.equal(both.status, 1, 'without --tier, all of lib/')
  t.match(both.output, /coverage of lib\/ \(2 files/)
  t.equal(check(lib, ['--tier', 'nightly']).status, 1, 'an unknown tier is refused')
})

t.test('no summary: fails with a message', async (t) => {
  const run = spawnSync(process.execPath, ['test/tools/coverage.mjs', join(dir, 'missing.json')], { cwd: ROOT, encoding: 'utf8' })
  t.equal(run.status, 1)
  t.match(run.stdout, /no summary at .*run tap first/)
})
