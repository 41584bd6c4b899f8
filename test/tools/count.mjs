// Counts TESTS, not tap's assertion points: tap's "# { total, pass }" counts every t.equal (a property test alone
// gives ~966), so `npm test`, `npm run test:e2e` and .ci/run report these counts instead. It reads the TAP that tap
// keeps per test file in .tap/test-results/. A test is a t.test() with no t.test() inside it; a file without any
// is one test; a failure outside every test (a file that crashed, a parent's own assertion) counts as one failed test.
// Usage: node test/tools/count.mjs [--tier unit|e2e|all] [--since <epoch ms>] [--slowest <n>] [--closing]
//        node test/tools/count.mjs --tier unit|e2e --clear   (before a tier's run: forget that tier's old results)
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    tier: { type: 'string', default: 'all' },
    since: { type: 'string', default: '0' },
    slowest: { type: 'string', default: '0' },
    closing: { type: 'boolean', default: false },
    clear: { type: 'boolean', default: false }
  }
})
const RESULTS = '.tap/test-results'
const E2E = /\.e2e\.test\.[cm]?[jt]sx?\.tap$/

/** One file's TAP: its tests, assertions and time. */
export function countTap (text) {
  const counts = { passed: 0, failed: 0, skipped: 0, assertions: 0, failedAssertions: 0, ms: 0, failures: [] }
  const root = { indent: -1, name: '(file)', children: 0, failedBelow: false, ownFailure: false }
  const stack = [root]
  let plan = false
  for (const line of text.split('\n')) {
    const subtest = /^( *)# Subtest: (.*)$/.exec(line)
    if (subtest) {
      stack.at(-1).children++
      stack.push({ indent: subtest[1].length, name: subtest[2], children: 0, failedBelow: false, ownFailure: false })
      continue
    }
    if (/^1\.\.\d+/.test(line)) plan = true
    const time = /^# time=([\d.]+)ms/.exec(line)
    if (time) counts.ms = Number(time[1])
    const result = /^( *)(not )?ok \d+(?: - ([^#]*))?(?:# (.*))?$/.exec(line)
    if (!result) continue
    const indent = result[1].length
    const ok = result[2] === undefined
    const directive = result[4] ?? ''
    const top = stack.at(-1)
    if (top !== root && top.indent === indent) {
      stack.pop()
      const parent = stack.at(-1)
      if (top.children === 0) {
        if (/^(SKIP|TODO)\b/i.test(directive)) counts.skipped++
        else if (ok) counts.passed++
        else { counts.failed++; counts.failures.push(top.name) }
        if (!ok) parent.failedBelow = true
      } else if ((!ok || top.ownFailure) && !top.failedBelow) {
        counts.failed++
        counts.failures.push(top.name)
        parent.failedBelow = true
      } else if (top.failedBelow) parent.failedBelow = true
      continue
    }
    counts.assertions++
    if (!ok) { counts.failedAssertions++; top.ownFailure = true }
  }
  if (root.children === 0) {
    if (root.ownFailure || !plan) { counts.failed++; counts.failures.push('(the file itself)') } else counts.passed++
  } else if ((root.ownFailure || !plan) && !root.failedBelow) {
    counts.failed++
    counts.failures.push('(outside every test: the file crashed or timed out)')
  }
  return counts
}

function files (dir) {
  try {
    return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.tap')).map((f) => join(dir, f))
  } catch {
    return []
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!['unit', 'e2e', 'all'].includes(values.tier)) throw new Error(`--tier is unit, e2e or all, not "${values.tier}"`)
  const since = Number(values.since)
  const tier = files(RESULTS).filter((f) => values.tier === 'all' || (values.tier === 'e2e') === E2E.test(f))
  if (values.clear) {
    for (const file of tier) rmSync(file)
    process.exit(0)
  }
  const chosen = tier.filter((f) => statSync(f).mtimeMs >= since)
  const total = { passed: 0, failed: 0, skipped: 0, assertions: 0, failedAssertions: 0, ms: 0 }
  const perFile = []
  for (const file of chosen) {
    const counts = countTap(readFileSync(file, 'utf8'))
    for (const key of Object.keys(total)) total[key] += counts[key]
    const name = relative(RESULTS, file).replace(/\.tap$/, '')
    perFile.push({ name, ...counts })
    for (const failure of counts.failures) console.log(`failed: ${name}: ${failure}`)
  }
  const slowest = Number(values.slowest)
  if (slowest > 0) {
    console.log(`slowest files (tap's time per file; ${perFile.length} files, ${(total.ms / 1000).toFixed(0)} s in all; tap runs 2 at a time, .taprc jobs):`)
    for (const f of perFile.sort((a, b) => b.ms - a.ms).slice(0, slowest)) console.log(`  ${(f.ms / 1000).toFixed(1).padStart(6)} s  ${f.name}`)
  }
  const label = values.tier === 'all' ? 'both tiers' : `${values.tier} tier`
  if (values.closing) console.log(`${total.passed} passed, ${total.failed} failed`)
  else console.log(`${label}: ${total.passed} tests passed, ${total.failed} failed, ${total.skipped} skipped, in ${chosen.length} files (${total.assertions} assertions, ${total.failedAssertions} failed)`)
  process.exit(total.failed === 0 ? 0 : 1)
}
