import { readdirSync, readFileSync } from 'node:fs'
import { join, posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import t from 'tap'

// The import graph of lib/ (docs/architecture.md draws it): no cycle, and every import points to its own group or
// to a lower layer. A new file must find its place in LAYERS; an arrow that points up or sideways fails here.
const LIB = fileURLToPath(new URL('../lib/', import.meta.url))

/** Lowest first. A module may import its own group and the groups of lower layers, never a sibling or a higher one. */
const LAYERS: string[][] = [
  ['errors.ts', 'operations.ts', 'html.ts', 'schemas/'],
  ['events.ts'],
  ['storage/', 'notify/', 'auth/'],
  ['sql/', 'telemetry/', 'writes/'],
  ['sqlite/', 'postgres/', 'testing/', 'http/', 'simulator/'],
  ['options.ts', 'decorators.ts'],
  ['build.ts'],
  ['plugin.ts'],
  ['index.ts', 'bin/']
]

/**
 * Inside a group, the same rule one level finer: lowest row first, a module imports only rows below its own. A group
 * listed here must place every one of its modules; a group not listed is held by the cycle check alone.
 */
const ROWS: Record<string, string[][]> = {
  'telemetry/': [
    ['attributes.ts'],
    ['index.ts'],
    ['notify.ts', 'storage.ts', 'requests.ts']
  ],
  'http/': [
    ['options.ts', 'error-handler.ts', 'validation.ts', 'auth.ts'],
    ['token-endpoint.ts'],
    ['conventions.ts', 'routes/operation.ts', 'routes/message-input.ts'],
    ['routes/users.ts', 'routes/agents.ts', 'routes/conversations.ts', 'routes/messages.ts'],
    ['routes/index.ts']
  ]
}

function rowOf (group: string, module: string): number | undefined {
  const index = ROWS[group]?.findIndex((row) => row.includes(module.slice(group.length)))
  return index === undefined || index < 0 ? undefined : index
}

function groupOf (module: string): { group: string, layer: number } | undefined {
  for (const [layer, groups] of LAYERS.entries()) {
    for (const group of groups) {
      if (group.endsWith('/') ? module.startsWith(group) : module === group) return { group, layer }
    }
  }
  return undefined
}

function modules (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return modules(path)
    return entry.name.endsWith('.ts') ? [relative(LIB, path).split('\\').join('/')] : []
  })
}

/** Every relative import of a module (static, type-only, re-exports and import() types), as module paths in lib/. */
function importsOf (module: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(LIB, module), 'utf8'), true, true)
  return importedFiles
    .map((file) => file.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => posix.normalize(posix.join(posix.dirname(module), specifier)).replace(/\.js$/, '.ts'))
    .filter((target) => target !== module)
}

const files = modules(LIB).sort()
const graph = new Map(files.map((module) => [module, importsOf(module)]))

t.test('every module of lib/ has a layer', async (t) => {
  t.same(files.filter((module) => groupOf(module) === undefined), [], 'add new files or folders to LAYERS (and to docs/architecture.md)')
})

t.test('imports point to their own group or down, never up or sideways', async (t) => {
  const crooked: string[] = []
  for (const [module, targets] of graph) {
    const from = groupOf(module)
    for (const target of targets) {
      const to = groupOf(target)
      if (!graph.has(target)) crooked.push(`${module} -> ${target}: no such module`)
      else if (from === undefined || to === undefined || from.group === to.group) continue
      else if (to.layer >= from.layer) crooked.push(`${module} (${from.group}) -> ${target} (${to.group})`)
    }
  }
  t.same(crooked, [])
})

t.test('inside a group with rows, every module has a row and imports only rows below its own', async (t) => {
  const crooked: string[] = []
  for (const [module, targets] of graph) {
    const group = groupOf(module)?.group
    if (group === undefined || ROWS[group] === undefined) continue
    const from = rowOf(group, module)
    if (from === undefined) {
      crooked.push(`${module}: no row in ROWS['${group}']`)
      continue
    }
    for (const target of targets) {
      if (groupOf(target)?.group !== group) continue
      const to = rowOf(group, target)
      if (to === undefined || to >= from) crooked.push(`${module} (row ${from}) -> ${target} (row ${to ?? '?'})`)
    }
  }
  t.same(crooked, [])
})

t.test('no import cycle', async (t) => {
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (module: string): void => {
    state.set(module, 'open')
    stack.push(module)
    for (const target of graph.get(module) ?? []) {
      if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target].join(' -> '))
      else if (state.get(target) === undefined) visit(target)
    }
    stack.pop()
    state.set(module, 'done')
  }
  for (const module of files) if (state.get(module) === undefined) visit(module)
  t.same(cycles, [])
})

t.test('the checks see the graph (a sanity check of the parser)', async (t) => {
  t.ok(graph.get('plugin.ts')?.includes('options.ts'))
  t.ok(graph.get('index.ts')?.includes('errors.ts'), 'type-only and re-exports count')
})

// docs/architecture.md's rules of thumb that a reading of the source can hold.
t.test('only plugin.ts and http/ register things on Fastify; only decorators.ts augments its types', async (t) => {
  const REGISTERS = /\.(addHook|register|decorate|decorateRequest|decorateReply|route|addContentTypeParser|setErrorHandler|setNotFoundHandler)\(/
  // Code only: comments may name `fastify.register(...)`.
  const code = (module: string): string => readFileSync(join(LIB, module), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
  const registering = files.filter((module) => module !== 'plugin.ts' && !module.startsWith('http/') && REGISTERS.test(code(module)))
  t.same(registering, [])
  const augmenting = files.filter((module) => /^declare module 'fastify'/m.test(readFileSync(join(LIB, module), 'utf8')))
  t.same(augmenting, ['decorators.ts'])
})
