import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { snippets } from '../fixtures/snippets.js'
import { builtPackage, ROOT } from '../fixtures/strict-host.js'

// docs/testing-your-integration.md promises two complete test files, an inject test and a FinSimulator test, that
// run as written: they are extracted and run here with `node --test`, importing this package by its name (dist/).
t.test('the testing guide\'s example tests run as written and pass', async (t) => {
  const missing = builtPackage()
  if (missing !== undefined) return t.fail(missing)
  const examples = snippets(ROOT).filter((s) => s.where.startsWith('docs/testing-your-integration.md') && s.code.includes("from 'node:test'"))
  t.equal(examples.length, 2, 'an inject test and a simulator test')
  t.ok(examples.some((s) => s.code.includes('app.inject(')), 'one uses fastify.inject')
  t.ok(examples.some((s) => s.code.includes('new FinSimulator(')), 'one uses FinSimulator')
  t.ok(examples.every((s) => s.code.includes('app.fin.storage.createMessage(')), 'both write a human agent\'s reply through the storage')

  const dir = join(ROOT, '.tap', `doc-examples-${process.pid}`)
  mkdirSync(dir, { recursive: true })
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const [i, example] of examples.entries()) {
    const file = join(dir, `example-${i}.test.mjs`)
    writeFileSync(file, example.code)
    const run = spawnSync(process.execPath, ['--test-reporter=tap', file], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 })
    const output = `${run.stdout}${run.stderr}`
    t.equal(run.status, 0, `${example.where} exits 0\n${output}`)
    t.match(output, /^# pass 1$/m, `${example.where}: its test passes`)
    t.match(output, /^# fail 0$/m)
  }
})
