import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildHelpdesk, SEED_AGENTS } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { ROOT } from '../fixtures/strict-host.js'

// What the README tells a newcomer, held to the code and the repository (the walkthrough itself runs in
// helpdesk.e2e.test.ts, the Use example in readme.e2e.test.ts).
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const dir = mkdtempSync(join(tmpdir(), 'fin-readme-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** A README section, from its heading to the next. */
function section (heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`)
  return start === -1 ? '' : README.slice(start, README.indexOf('\n## ', start + 1))
}

t.test('walkthrough step 6 says what a console reply does, and what an inbox reply does besides, as they do', async (t) => {
  const step = /# 6\. [^\n]*(?:\n# {3}[^\n]*)*/.exec(README)?.[0] ?? ''
  t.match(step, /replies through the console API/)
  t.match(step, /The\s+#?\s*conversation stays unassigned/, 'the console reply leaves the assignee')
  t.match(step, /from the inbox page[\s\S]*assigns the conversation to the agent who sent it/)
  t.notMatch(step, /does the same/)
  const password = 'sarah-password-1'
  const app = await buildHelpdesk(readConfig({ FIN_API_TOKEN: 'fin-token-0123456789abcdef', CONSOLE_TOKEN: 'console-token-0123456789abcdef', FIN_DB_PATH: join(dir, 'step6.db'), AGENT_PASSWORDS: `sarah@helpdesk.example:${password}` }), false)
  t.teardown(() => app.close())
  const fin = { authorization: 'Bearer fin-token-0123456789abcdef' }
  const user = (await app.inject({ method: 'POST', url: '/api/fin/user', headers: fin, payload: { name: 'Jane' } })).json()
  const { conversation } = (await app.inject({ method: 'POST', url: '/api/fin/conversation', headers: fin, payload: { user_id: user.id, initial_message: { body: '<p>Hi</p>' } } })).json()
  const reply = { author_id: 'agent_sarah', body: '<p>Sarah here</p>' }
  t.equal((await app.inject({ method: 'POST', url: `/console/conversations/${conversation.id}/messages`, headers: { authorization: 'Bearer console-token-0123456789abcdef' }, payload: reply })).statusCode, 201)
  t.equal((await app.fin.storage.getConversation(conversation.id))?.assignee, undefined, 'console: unassigned')
  const signIn = await app.inject({ method: 'POST', url: '/inbox/session', payload: { email: 'sarah@helpdesk.example', password } })
  const cookie = String(signIn.headers['set-cookie']).split(';')[0]!
  t.equal((await app.inject({ method: 'POST', url: `/inbox/api/conversations/${conversation.id}/messages`, headers: { cookie }, payload: { body: reply.body } })).statusCode, 201)
  t.match(await app.fin.storage.getConversation(conversation.id), { assignee: { id: 'agent_sarah' } }, 'inbox: assigned to who replied')
})

t.test('the walkthrough says it needs bash, and reads the tokens where the banner says they are', async (t) => {
  const before = README.slice(0, README.indexOf('<!-- walkthrough:start -->'))
  const intro = before.slice(before.lastIndexOf('\n\n', before.length - 3))
  t.match(intro, /run this block in \*\*bash\*\*/)
  t.match(intro, /the files the banner names/)
  t.match(intro, /`FIN_DB_PATH`/)
  t.notMatch(README, /cat data\//, 'no data/ written into the commands')
})

t.test('Several instances: every setting that must be the same on each', async (t) => {
  const text = section('Several instances')
  for (const name of ['FIN_API_TOKEN', 'CONSOLE_TOKEN', 'INBOX_SESSION_SECRET', 'FIN_OAUTH_SIGNING_SECRET']) t.match(text, `\`${name}\``, name)
  t.match(text, /fail open/, 'what a Redis outage does')
})

t.test('the seeded agents are named as the seed has them, with how their passwords work', async (t) => {
  const example = section('The example helpdesk')
  for (const agent of SEED_AGENTS) {
    t.match(example, `\`${agent.id}\`, \`${agent.email}\``, agent.id)
    t.match(example, agent.name, agent.name)
  }
  const row = example.split('\n').find((line) => line.startsWith('| `AGENT_PASSWORDS`')) ?? ''
  t.match(row, /Sets the listed agents' passwords at this start; agents not listed keep theirs; a password set is kept after/)
})

t.test('the Use example says what file to put it in', async (t) => {
  t.match(section('Use'), /Save this as `app\.mjs` \(or `\.js` in a package with `"type": "module"`/)
})

t.test('FIN_REGION and FIN_BASE_URL: which wins is in the table', async (t) => {
  t.match(section('The example helpdesk'), /with both set, `FIN_BASE_URL` wins and `FIN_REGION` is ignored/)
})

t.test('the install warnings the README explains are the ones this lockfile gives', async (t) => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string, dev?: boolean, hasInstallScript?: boolean, engines?: { node?: string }, dependencies?: Record<string, string> }> }
  const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> }
  // npm 11 warns of every package with install scripts that allowScripts does not list.
  const scripts = Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript === true).map(([path]) => path.replace(/^.*node_modules\//, ''))
  const unlisted = scripts.filter((name) => own.allowScripts[name] === undefined).sort()
  const said = /npm 11 also warns that ([^\n]*?) have install scripts not covered by `allowScripts`/.exec(README.replace(/\n/g, ' '))?.[1] ?? ''
  t.same([...said.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort(), unlisted, 'the README names exactly those')
  t.ok(unlisted.every((name) => lock.packages[`node_modules/${name}`]?.dev === true), 'all dev dependencies')
  // EBADENGINE: cookie@2 wants Node 22; the override gives light-my-request cookie 1, @fastify/cookie (dev) keeps 2.
  t.match(lock.packages['node_modules/cookie'], { version: /^2\./, engines: { node: '>=22' }, dev: true })
  t.match(lock.packages['node_modules/@fastify/cookie'], { dev: true, dependencies: { cookie: /^\^2/ } })
  t.match(lock.packages['node_modules/light-my-request/node_modules/cookie'], { version: /^1\./ })
  t.match(README.replace(/\n/g, ' '), /This repository's own `npm ci` still prints that warning once: `@fastify\/cookie`, a dev dependency/)
})

t.test('the size figure says how it is counted, so du does not seem to contradict it', async (t) => {
  t.match(README.replace(/\n/g, ' '), /That is the files' sizes summed\. `du` counts otherwise: `du -sh node_modules` says about \d+ MB/)
})

t.test('what the README\'s commands leave in the clone is ignored by git', async (t) => {
  const ignored = readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')
  t.ok(README.includes('npm start | tee helpdesk.log') && ignored.includes('helpdesk.log'), 'the walkthrough\'s log')
  t.ok(README.includes('npm pack') && ignored.includes('*.tgz'), 'npm pack\'s tarball')
})
