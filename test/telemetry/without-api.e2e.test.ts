import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

t.test('without @opentelemetry/api installed (an optional peer), the plugin registers and answers', async (t) => {
  const hook = new URL('../fixtures/hide-otel-api.mjs', import.meta.url).href
  const register = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(hook)})`
  // After tap's TypeScript loader: the last hook registered runs first.
  const loader = process.execArgv.filter((arg) => arg.includes('@tapjs/typescript'))
  const { stdout } = await promisify(execFile)(process.execPath, [...loader, '--import', register, 'test/fixtures/without-otel-api.ts'], { cwd: ROOT })
  t.same(JSON.parse(stdout), { apiMissing: true, status: 200, body: [] })
})
