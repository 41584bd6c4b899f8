import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'
import { ROOT } from '../fixtures/strict-host.js'

// A clone with nothing beside it must pass its tests: no file may refer to the team's folder next to the repository.
// (The pattern is assembled so that this file does not match itself.)
const OUTSIDE = new RegExp(['\\.\\./', 'shared', '/|', 'shared', '/fin-api'].join(''))
const SKIP = new Set(['node_modules', 'dist', '.git', '.tap', 'coverage', 'data'])

function files (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return []
    const path = join(dir, entry.name)
    return entry.isDirectory() ? files(path) : [path]
  })
}

t.test('nothing in the repository reads or names the team\'s shared folder', async (t) => {
  const offenders = files(ROOT).filter((file) => OUTSIDE.test(readFileSync(file, 'utf8'))).map((file) => relative(ROOT, file))
  t.same(offenders, [])
  t.ok(readFileSync(join(ROOT, 'docs/reference/fin-api.yaml'), 'utf8').includes('operationId: getUser'), 'the reference is in the repository')
})
