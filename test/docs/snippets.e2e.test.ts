import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { snippets } from '../fixtures/snippets.js'
import { builtPackage, ROOT, STRICT_HOST, tsc } from '../fixtures/strict-host.js'

// Every TypeScript and JavaScript snippet of README.md and docs/*.md is compiled as a module of a strict host app
// (JavaScript with checkJs). The files sit inside the repository so that `fastify-fin-helpdesk/...` resolves to this
// package through its own exports (dist/). Names a snippet uses without declaring come from
// test/fixtures/snippet-prelude.d.ts. A snippet preceded by `<!-- no-check: reason -->` is skipped: keep those rare.
const MAX_NO_CHECK = 4
// One compiler run over every snippet with full library checks: slow on a loaded machine.
t.setTimeout(600_000)

t.test('every documented snippet compiles in a strict host app', async (t) => {
  const missing = builtPackage()
  if (missing !== undefined) return t.fail(missing)
  const all = snippets(ROOT)
  const skipped = all.filter((s) => s.noCheck !== undefined)
  t.ok(skipped.every((s) => s.noCheck!.length > 0), 'every no-check marker gives its reason')
  t.ok(skipped.length <= MAX_NO_CHECK, `at most ${MAX_NO_CHECK} snippets are not checked: ${skipped.map((s) => s.where).join(', ')}`)

  const dir = join(ROOT, '.tap', `snippets-${process.pid}`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const checked = all.filter((s) => s.noCheck === undefined)
  const files = checked.map((s, i) => {
    const file = `snippet-${i}.${s.lang === 'ts' ? 'mts' : 'mjs'}`
    // `export {}` makes every snippet a module: its names stay its own and top-level await is allowed.
    writeFileSync(join(dir, file), `${s.code}\nexport {}\n`)
    return file
  })
  copyFileSync(join(ROOT, 'test/fixtures/snippet-prelude.d.ts'), join(dir, 'prelude.d.ts'))
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { ...STRICT_HOST, allowJs: true, checkJs: true },
    files: ['prelude.d.ts', ...files]
  }))

  const { output } = tsc(join(dir, 'tsconfig.json'), dir)
  const lines = output.split('\n').filter((line) => line.length > 0)
  checked.forEach((s, i) => {
    const errors = lines.filter((line) => line.includes(`snippet-${i}.`))
    t.same(errors, [], `${s.where} compiles`)
  })
  t.same(lines.filter((line) => !/snippet-\d+\./.test(line)), [], 'nothing else fails (prelude, libraries)')
  t.ok(checked.length >= 10, `${checked.length} snippets checked`)
})
