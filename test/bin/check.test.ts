import { createServer } from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import t from 'tap'
import { runCheckCli } from '../../lib/bin/check-cli.js'
import type { CheckReport } from '../../lib/simulator/index.js'
import { exampleHelpdesk } from '../fixtures/example-helpdesk.js'
import { startIndependentHelpdesk } from '../fixtures/independent-helpdesk.js'

// fin-helpdesk-check as a helpdesk team runs it: its output, exit code and report files (the bin in its own process: check.e2e.test.ts).
const dir = mkdtempSync(join(tmpdir(), 'fin-check-cli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
/** The CLI in this process (a child process per run costs seconds of TypeScript loading on a busy machine). */
async function cli (args: string[], onStdout: (text: string) => void = () => {}): Promise<{ code: number, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCheckCli(args, { stdout: (text) => { stdout += text; onStdout(text) }, stderr: (text) => { stderr += text } })
  return { code, stdout, stderr }
}

t.test('the CLI: one line per check with its severity, what was sent, expected and got, a summary, exit codes, --json and --paths', async (t) => {
  const { base } = await exampleHelpdesk(t)
  const ok = await cli(['--url', base, '--token', 'tok-Example-0123456789abcdef'])
  t.equal(ok.code, 0, ok.stdout)
  t.match(ok.stdout, /^ok {10}error {3}agents\.list: get_agents lists the agents, with the fields Fin needs$/m)
  t.match(ok.stdout, /^not checked error {3}signature\.unsigned: a request without X-Fin-Signature is refused\n {12}because: no signing secret given \(--signing-secret\): the helpdesk is taken not to verify signatures$/m)
  t.match(ok.stdout, /^\d+ passed, 0 failed, \d+ warnings, 8 not checked$/m)
  const json = await cli(['--url', base, '--token', 'tok-Example-0123456789abcdef', '--variant', 'posts-only', '--json'])
  t.equal(json.code, 0)
  const report = JSON.parse(json.stdout) as CheckReport
  t.match(report, { passed: Number, failed: 0, warnings: Number, checks: Array })
  t.match(report.checks[0], { id: 'agents.list', name: String, severity: 'error', status: 'ok', ok: true, sent: 'POST /api/fin/get_agents', expected: String, actual: 'as expected' })
  // What it did not check, and why: never "ok".
  t.equal(report.notChecked, 8)
  t.match(report.checks.find((c) => c.id === 'webhook.received'), { status: 'not checked', ok: false, severity: 'error', actual: 'no webhook port given (--webhook-port)' })
  const pathsFile = join(dir, 'paths.json')
  writeFileSync(pathsFile, JSON.stringify({ getAgents: '/staff' }))
  const renamed = await cli(['--url', base, '--token', 'tok-Example-0123456789abcdef', '--paths', pathsFile, '--json'])
  t.match(JSON.parse(renamed.stdout).checks[0], { id: 'agents.list', ok: false, sent: 'GET /api/fin/staff', actual: /HTTP 404/ }, '--paths is used')
  t.equal(renamed.code, 1, 'failures exit 1')
  const text = await cli(['--url', base, '--token', 'tok-Example-0123456789abcdef', '--paths', pathsFile])
  t.match(text.stdout, /^FAILED {6}error {3}agents\.list: get_agents lists the agents, with the fields Fin needs\n {12}sent: {5}GET \/api\/fin\/staff\n {12}expected: HTTP 200 and a list of at least one agent\n {12}got: {6}HTTP 404: \{/m)
  const bad = await cli(['--token', 'tok-Example-0123456789abcdef'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--url is required/)
})

t.test('the CLI: warnings exit 0 unless --strict; a broken rule exits 1 naming its check with a hint; --junit writes JUnit XML', async (t) => {
  const alias = await startIndependentHelpdesk({ variant: 'posts-only', token: 'Independent-1', breaks: 'agent-alias' })
  t.teardown(alias.close)
  const junit = join(dir, 'report.xml')
  const lenient = await cli(['--url', alias.url, '--token', 'Independent-1', '--variant', 'posts-only', '--junit', junit])
  t.equal(lenient.code, 0, lenient.stdout)
  t.match(lenient.stdout, /^WARNING {5}warning agent\.reference: Agents as the reference has them.*\n {12}sent: {5}POST \/get_agents\n {12}expected: .*\n {12}got: {6}alias is not in the reference; it looks like alias_name, which Fin reads\n {12}hint: {5}rename alias to alias_name$/m)
  t.match(lenient.stdout, /^\d+ passed, 0 failed, 2 warnings, 8 not checked$/m)
  const strict = await cli(['--url', alias.url, '--token', 'Independent-1', '--variant', 'posts-only', '--strict'])
  t.equal(strict.code, 1, '--strict: warnings fail')

  // The JUnit file: well-formed XML, one testcase per check, a warning reported without failing.
  const xml = readFileSync(junit, 'utf8')
  t.equal(XMLValidator.validate(xml), true)
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' || name === 'testsuite' }).parse(xml) as { testsuites: { tests: string, failures: string, testsuite: Array<{ name: string, tests: string, failures: string, skipped: string, testcase: Array<{ classname: string, name: string, failure?: unknown, skipped?: { message: string }, 'system-out'?: string }> }> } }
  const suite = parsed.testsuites.testsuite[0]!
  t.equal(suite.name, 'fin-helpdesk-check')
  t.equal(Number(suite.tests), suite.testcase.length)
  t.equal(suite.failures, '0')
  // Not checked: a <skipped> with the reason, counted in the suite's skipped.
  t.equal(suite.skipped, '8')
  t.equal(suite.testcase.filter((c) => c.skipped !== undefined).length, 8)
  t.match(suite.testcase.find((c) => c.name.startsWith('oauth.token:')), { skipped: { message: 'not checked: no OAuth client given (--token-url): a static token is used' } })
  t.ok(suite.testcase.every((c) => typeof c.classname === 'string' && typeof c.name === 'string'))
  t.match(suite.testcase.find((c) => c.name.startsWith('agent.reference:')), { classname: 'fin-helpdesk-check.agent', 'system-out': /^warning: sent: POST \/get_agents/ })

  const broken = await startIndependentHelpdesk({ variant: 'standard', token: 'Independent-1', breaks: 'after-id-unknown' })
  t.teardown(broken.close)
  const failing = await cli(['--url', broken.url, '--token', 'Independent-1', '--junit', junit])
  t.equal(failing.code, 1)
  t.match(failing.stdout, /^FAILED {6}error {3}messages\.after-id-unknown: .*\n.*\n.*\n {12}got: {6}an empty list\n {12}hint: {5}an unknown after_id means Fin lost track/m)
  const failed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8')) as { testsuites: { failures: string, testsuite: { testcase: Array<{ name: string, failure?: { type: string, message: string } }> } } }
  t.equal(failed.testsuites.failures, '1')
  t.match(failed.testsuites.testsuite.testcase.find((c) => c.failure !== undefined), { name: /^messages\.after-id-unknown: /, failure: { type: 'error', message: 'error: an empty list' } })
})

t.test('the CLI signs with --signing-secret', async (t) => {
  const signed = await startIndependentHelpdesk({ variant: 'standard', token: 'Independent-1', signingSecret: 'cli-secret-0123456789abcdef' })
  t.teardown(signed.close)
  const ok = await cli(['--url', signed.url, '--token', 'Independent-1', '--signing-secret', 'cli-secret-0123456789abcdef'])
  t.equal(ok.code, 0, ok.stdout)
  t.match(ok.stdout, /^ok {10}error {3}signature\.tampered: /m)
  const unsigned = await cli(['--url', signed.url, '--token', 'Independent-1'])
  t.equal(unsigned.code, 2, 'unsigned, the first call is refused: nothing checked')
})

t.test('the CLI waits for the helpdesk\'s sync webhook with --webhook-port and checks it', async (t) => {
  // Fin's webhook address for the helpdesk: a relay on a port of its own, passing each request to the port the CLI
  // listens on (--webhook-port 0: any free port, named in its notice). No port is chosen ahead and reused.
  let receiver: string | undefined
  const relay = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'host' && name !== 'content-length')) as Record<string, string>
      fetch(`${receiver!}${req.url!}`, { method: req.method, headers, body: Buffer.concat(chunks) })
        .then(async (answer) => { res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()) }, () => { res.writeHead(502).end() })
    })
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { relay.closeAllConnections(); relay.close(() => resolve()) }))
  const { base, origin } = await exampleHelpdesk(t, { FIN_INTEGRATION_ID: 'int_cli', FIN_WEBHOOK_KEY: 'cli-key', FIN_BASE_URL: `http://127.0.0.1:${(relay.address() as AddressInfo).port}` })
  // Play the agent the CLI asks for: reply in the conversation its notice names (it made several), once it waits.
  let asked: (id: string) => void = () => {}
  const named = new Promise<string>((resolve) => { asked = resolve })
  const run = cli(['--url', base, '--token', 'tok-Example-0123456789abcdef', '--webhook-port', '0', '--integration-id', 'int_cli', '--webhook-key', 'cli-key', '--webhook-timeout', '60'], (text) => {
    const notice = /sync webhook at (\S+): make a change to conversation (\S+) in the helpdesk/.exec(text)
    if (notice !== null) {
      receiver = notice[1]
      asked(notice[2]!)
    }
  })
  const conversationId = await Promise.race([named, run.then(() => undefined)])
  t.ok(conversationId, 'the CLI named the conversation to change')
  const replied = await fetch(`${origin}/console/conversations/${conversationId}/messages`, { method: 'POST', headers: { authorization: 'Bearer console-0123456789abcdef', 'content-type': 'application/json' }, body: JSON.stringify({ author_id: 'agent_sarah', body: 'A human here.' }) })
  t.equal(replied.status, 201)
  const result = await run
  t.equal(result.code, 0, result.stdout.split('\n').filter((l) => l.startsWith('FAILED') || l.startsWith('   ')).join('\n'))
  t.match(result.stdout, /^ok {10}error {3}webhook\.received: /m)
  t.match(result.stdout, /^ok {10}error {3}webhook\.key: /m)
  t.match(result.stdout, /^ok {10}error {3}webhook\.body: /m)
})
