import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import t from 'tap'

// The public surface is what package.json's "exports" point at; README.md's "API" section must list exactly the same
// names, so that adding or removing an export without documenting it fails here.
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { name: string, exports: Record<string, string | { import: string }> }

/** Export path (e.g. 'fastify-fin-helpdesk/sqlite') to its source file (lib/sqlite/index.ts). */
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object')
  .map(([path, target]) => [
    path === '.' ? pkg.name : `${pkg.name}${path.slice(1)}`,
    (target as { import: string }).import.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')
  ] as const)

/** The names a module exports, read from its syntax; `export *` is refused, the list must be explicit. */
function exportedNames (file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(`${ROOT}${file}`, 'utf8'), ts.ScriptTarget.Latest)
  const names: string[] = []
  for (const statement of source.statements) {
    if (ts.isExportAssignment(statement)) names.push('default')
    else if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause
      if (clause === undefined) throw new Error(`${file}: \`export *\` hides what is public; list the names`)
      if (ts.isNamespaceExport(clause)) names.push(clause.name.text)
      else for (const element of clause.elements) names.push(element.name.text)
    } else if (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      throw new Error(`${file}: an index declares nothing itself, it re-exports`)
    }
  }
  return names.sort()
}

interface Documented {
  names: string[]
  /** The names before "(type)" on their line: values, which exist at run time. */
  values: string[]
}

/** README.md's API section: per `### \`path\`` heading, the backticked names on its bullet lines. */
function documentedNames (): Map<string, Documented> {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8')
  const section = /\n## API\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? ''
  const documented = new Map<string, Documented>()
  let current: Documented | undefined
  for (const line of section.split('\n')) {
    const heading = /^### `([^`]+)`/.exec(line)
    if (heading !== null) documented.set(heading[1]!, current = { names: [], values: [] })
    else if (line.startsWith('- ') && current !== undefined) {
      // "- label (type): types", or "- label: values; (type) types", or "- values; (type) types"
      const colon = line.indexOf(': ')
      const label = colon < 0 ? '' : line.slice(2, colon)
      const body = colon < 0 ? line.slice(2) : line.slice(colon + 2)
      const typeAt = label.includes('(type)') ? 0 : body.includes('(type)') ? body.indexOf('(type)') : Infinity
      for (const match of body.matchAll(/`([A-Za-z_$][\w$]*)`/g)) {
        current.names.push(match[1]!)
        if (match.index < typeAt) current.values.push(match[1]!)
      }
    }
  }
  for (const { names, values } of documented.values()) {
    names.sort()
    values.sort()
  }
  return documented
}

t.test('README.md documents every export path, and no other', async (t) => {
  t.same([...documentedNames().keys()].sort(), entries.map(([path]) => path).sort())
})

for (const [path, file] of entries) {
  t.test(`${path}: the README's API section lists exactly its exports`, async (t) => {
    const exported = exportedNames(file)
    const documented = documentedNames().get(path)
    t.same(documented?.names, exported, 'documented in README.md ## API')
    // What loads at run time is exactly what the README lists as values (types, marked "(type)", vanish).
    const module = await import(`../${file.replace(/\.ts$/, '.js')}`) as Record<string, unknown>
    t.same(Object.keys(module).sort(), documented?.values, 'values and types marked as they are')
  })
}

t.test('a front door read in a minute: at most 50 names over all export paths, values and types', async (t) => {
  const names = entries.flatMap(([, file]) => exportedNames(file))
  t.ok(names.length <= 50, `${names.length} public names`)
  t.same(names.filter((name) => /^Fin\w+Error$/.test(name) && name !== 'FinError'), [], 'errors are reached through errorCodes, not one export each')
})
