import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

t.test('the README registration example runs as written, against the built package', async (t) => {
  t.ok(existsSync(join(ROOT, 'dist/lib/index.js')), 'dist/ is built (npm ci and npm test build it)')
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const example = /## Use\n\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(example, 'the README has the example')
  t.match(example, "from 'fastify-fin-helpdesk'", 'it imports the package by name')
  // Inside the package folder, so `fastify-fin-helpdesk` resolves to this package (self-reference via "exports").
  const dir = join(ROOT, '.tap', 'readme-example')
  mkdirSync(dir, { recursive: true })
  // The file name the README gives it: .mjs, for its import and top-level await.
  const file = join(dir, 'app.mjs')
  writeFileSync(file, example!)

  const child = spawn(process.execPath, [file], { env: { ...process.env, FIN_API_TOKEN: 'readme-token-0123456789abcdef', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => child.kill('SIGKILL'))
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const deadline = Date.now() + 30_000
  while (!/Server listening at (http:\/\/127\.0\.0\.1:\d+)/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the example did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const origin = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]
  const headers = { authorization: 'Bearer readme-token-0123456789abcdef', 'content-type': 'application/json' }
  const agents = await (await fetch(`${origin}/api/fin/agents`, { headers })).json()
  t.same(agents, [{ id: 'agent_fin', user_type: 'agent', name: 'Fin', email: 'fin@example.com', photo_url: null, alias: null }])
  const user = await (await fetch(`${origin}/api/fin/user`, { method: 'POST', headers, body: '{"name":"Jane"}' })).json() as { id: string }
  const created = await (await fetch(`${origin}/api/fin/conversation`, { method: 'POST', headers, body: JSON.stringify({ user_id: user.id, initial_message: { body: 'help' } }) })).json() as { conversation: { id: string } }
  const handover = await fetch(`${origin}/api/fin/update_conversation`, { method: 'POST', headers, body: JSON.stringify({ conversation_id: created.conversation.id, assignee_id: null }) })
  t.equal(handover.status, 200)
  while (!output.includes('a human must take it')) await new Promise((resolve) => setTimeout(resolve, 20))
  t.match(output, new RegExp(`"conversation":"${created.conversation.id}".*a human must take it`), 'the handover listener logged it')
})
