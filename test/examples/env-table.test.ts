import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../fixtures/strict-host.js'

// Every environment variable the examples read has a row in the README's one table of them (the example helpdesk's
// section): a newcomer never has to read the code to learn a setting.
function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'public' ? [] : sources(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** Names read as env.NAME, env['NAME'] or through a helper given (env, 'NAME'). */
function variablesRead (code: string): string[] {
  const names = new Set<string>()
  for (const match of code.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\]|, '([A-Z][A-Z0-9_]*)')/g)) names.add(match[1] ?? match[2] ?? match[3]!)
  return [...names]
}

t.test('the reader finds each way the examples read a variable', async (t) => {
  t.same(variablesRead("process.env.PORT; env['FIN_X']; integer(env, 'FIN_Y', 1); env.lowercase; envy.NOPE"), ['PORT', 'FIN_X', 'FIN_Y'])
})

t.test('every variable the examples read is in the README\'s table', async (t) => {
  const read = new Set(sources(join(ROOT, 'examples')).flatMap((file) => variablesRead(readFileSync(file, 'utf8'))))
  t.ok(read.size >= 20, `the examples read ${read.size} variables`)
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = /## The example helpdesk\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? ''
  const documented = new Set(section.split('\n').filter((line) => line.startsWith('| `')).flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!)))
  t.same([...read].filter((name) => !documented.has(name)).sort(), [], 'read but not in the table')
})
