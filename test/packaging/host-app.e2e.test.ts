import { spawn, spawnSync } from 'node:child_process'
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { snippets } from '../fixtures/snippets.js'
import { builtPackage, ROOT, STRICT_HOST, tsc } from '../fixtures/strict-host.js'

// What a host app gets: `npm pack` of this package, installed with `npm install --omit=dev` (plus fastify, its peer)
// into an empty app. Needs the npm registry or a warm npm cache (--prefer-offline); npm test runs it, CI too.
const LIMIT_MB = 35
/** Test frameworks, compilers, type packages and UI toolkits: none may reach a host app's production install. */
const FORBIDDEN = /^(tap|@tapjs\/.*|tshy|typescript|ts-node|@isaacs\/ts-node-.*|tsimp|esbuild|c8|v8-to-istanbul|react|react-.*|ink|yoga-.*|eslint|neostandard|vitest|jest|mocha|@types\/.*|fast-check|autocannon|better-sqlite3|pg|ioredis)$/
const OWN = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>, devDependencies: Record<string, string>, exports: Record<string, unknown>
}

// npm and a compiler run on a loaded machine: minutes, not the default file timeout.
t.setTimeout(900_000)

function npm (args: string[], cwd: string): string {
  const run = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 300_000 })
  if (run.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`)
  return run.stdout
}

/** Bytes of the files under a folder (their apparent size, as `du --apparent-size`: the same on every file system). */
function bytes (dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += bytes(path)
    else total += lstatSync(path).size
  }
  return total
}

t.test('the packed package installs into an empty host app: small, no dev tooling, typed, and the README runs', async (t) => {
  const missing = builtPackage()
  if (missing !== undefined) return t.fail(missing)
  const work = mkdtempSync(join(tmpdir(), 'fin-host-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  // dist/ is built by npm test before tap runs: pack it as it is (no prepare script, no rebuild under other tests' feet).
  const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as Array<{ filename: string }>
  const host = join(work, 'host')
  mkdirSync(host)
  writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'host', private: true, type: 'module' }))
  npm(['install', '--omit=dev', join(work, packed!.filename), `fastify@${OWN.peerDependencies['fastify']!}`], host)

  const lock = JSON.parse(readFileSync(join(host, 'node_modules/.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> }
  const names = [...new Set(Object.keys(lock.packages).map((path) => path.replace(/^.*node_modules\//, '')))].sort()
  t.same(names.filter((name) => FORBIDDEN.test(name)), [], 'no test framework, compiler, type package, UI toolkit or unused driver')
  const size = bytes(join(host, 'node_modules'))
  const mb = Math.round(size / 1e5) / 10
  const measured = `host app node_modules: ${mb} MB in ${names.length} packages (limit ${LIMIT_MB} MB)`
  t.comment(measured)
  // Kept for whoever updates the README's figure: the one this test measured, in .tap/host-app-size.txt.
  mkdirSync(join(ROOT, '.tap'), { recursive: true })
  writeFileSync(join(ROOT, '.tap', 'host-app-size.txt'), `${measured}\n`)
  t.ok(size <= LIMIT_MB * 1e6, `node_modules is ${mb} MB, at most ${LIMIT_MB} MB`)
  // The README's claim is this measurement (dependencies move between releases: within 2 MB and 5 packages).
  const claim = /has (\d+) MB of node_modules in (\d+) packages/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  t.ok(claim, 'the README states the size')
  t.ok(Math.abs(Number(claim![1]) - mb) <= 2 && Math.abs(Number(claim![2]) - names.length) <= 5,
    `the README says ${claim![1]} MB in ${claim![2]} packages; measured ${mb} MB in ${names.length}: update the README`)

  t.test('the README\'s first example runs there', async (t) => {
    const use = snippets(ROOT).find((s) => s.where.startsWith('README.md') && s.code.includes('app.listen('))
    if (use === undefined) return t.fail('README.md has no example that listens')
    writeFileSync(join(host, 'server.mjs'), use.code)
    const child = spawn(process.execPath, ['server.mjs'], { cwd: host, env: { ...process.env, FIN_API_TOKEN: 'host-token-0123456789', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    t.teardown(() => { if (child.exitCode === null) child.kill() })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const deadline = Date.now() + 60_000
    while (!/Server listening at (http:\/\/127\.0\.0\.1:\d+)/.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) return t.fail(`the README example did not start:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const origin = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!
    const agents = await fetch(`${origin}/api/fin/agents`, { headers: { authorization: 'Bearer host-token-0123456789' } })
    t.equal(agents.status, 200)
    t.match(await agents.json(), [{ id: 'agent_fin', name: 'Fin' }])
    t.equal((await fetch(`${origin}/api/fin/agents`)).status, 401, 'without the token: 401')
  })

  t.test('every export path compiles in a strict host (skipLibCheck off) with the @types packages the README names', async (t) => {
    const types = ['@types/node', '@types/better-sqlite3', '@types/pg'].map((name) => `${name}@${OWN.devDependencies[name]!}`)
    npm(['install', '--save-dev', ...types], host)
    const paths = Object.keys(OWN.exports).filter((path) => path !== './package.json')
    const lines = paths.map((path, i) => `import * as entry${i} from '${path === '.' ? 'fastify-fin-helpdesk' : `fastify-fin-helpdesk/${path.slice(2)}`}'`)
    writeFileSync(join(host, 'index.ts'), [
      "import Fastify from 'fastify'",
      "import finHelpdesk, { MemoryStorage } from 'fastify-fin-helpdesk'",
      ...lines,
      'const app = Fastify()',
      "await app.register(finHelpdesk, { prefix: '/api/fin', tokens: ['t-0123456789abcdef'], storage: new MemoryStorage() })",
      'const stored: Promise<unknown> = app.fin.storage.listConversations()',
      `console.log(stored, ${paths.map((_, i) => `Object.keys(entry${i})`).join(', ')})`,
      ''
    ].join('\n'))
    writeFileSync(join(host, 'tsconfig.json'), JSON.stringify({ compilerOptions: STRICT_HOST, files: ['index.ts'] }))
    t.equal(paths.length, 5, 'root, sqlite, postgres, simulator, testing')
    const { status, output } = tsc(join(host, 'tsconfig.json'), host)
    t.equal(output, '', 'no diagnostics')
    t.equal(status, 0)
  })
})
