import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import t, { type Test } from 'tap'
import { runCheckCli } from '../../lib/bin/check-cli.js'
import { OPERATIONS } from '../../lib/operations.js'
import type { CheckReport } from '../../lib/simulator/index.js'
import { exampleHelpdesk } from '../fixtures/example-helpdesk.js'
import { refusingOrigin } from '../fixtures/refusing-server.js'

// fin-helpdesk-check's arguments and its failures: each bad argument exits 2 naming it with the usage, a helpdesk
// that is not there or refuses the credentials stops the run in one line (exit 2); the bin's own process is
// check.e2e.test.ts.
const dir = mkdtempSync(join(tmpdir(), 'fin-check-args-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

async function cli (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCheckCli(args, { stdout: (text) => { stdout += text }, stderr: (text) => { stderr += text } })
  return { code, stdout, stderr }
}

/** A helpdesk that is not there: a server kept on its port 0 that drops each connection (no port probed and reused). */
async function goneUrl (t: Test): Promise<string> {
  return `${await refusingOrigin(t)}/api/fin`
}

/**
 * What one line says of it: undici's words for a dropped connection vary with timing, or it waits for the call's
 * limit (Node 20's first fetch in a process to such a server often never settles: the limit is what ends it).
 */
function unreachable (url: string): RegExp {
  return new RegExp(`^fin-helpdesk-check: nothing checked: cannot reach ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/agents: (other side closed|read ECONNRESET|socket hang up|no answer within (10000|500) ms)\n$`)
}

t.test('--help prints the usage and exits 0', async (t) => {
  const res = await cli(['--help'])
  t.equal(res.code, 0)
  t.match(res.stdout, /^Usage: fin-helpdesk-check --url <base>/)
  t.match(res.stdout, /Exits 0 when no error check fails; 1 when one does \(or a warning, with --strict\); 2 when nothing could be checked:\nbad arguments, the helpdesk unreachable, or Fin's credentials refused \(one line on stderr says which\)\.\n$/)
  t.equal(res.stderr, '')
})

t.test('bad arguments exit 2, naming each problem, then the usage', async (t) => {
  const paths = (name: string, text: string) => { const file = join(dir, name); writeFileSync(file, text); return file }
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown flag', ['--url', 'http://x', '--token', 't', '--frobnicate'], /^Unknown option '--frobnicate'/],
    ['a flag without its value', ['--url'], /^Option '--url <value>' argument missing/],
    ['no token and no OAuth', ['--url', 'http://x'], /^give --token, or --token-url with --client-id and --client-secret\n\nUsage:/],
    ['--token-url without a client', ['--url', 'http://x', '--token-url', 'http://x/oauth/token', '--client-id', 'fin'], /^--token-url needs --client-id and --client-secret\n\nUsage:/],
    ['an unknown variant', ['--url', 'http://x', '--token', 't', '--variant', 'graphql'], /^--variant is standard or posts-only\n\nUsage:/],
    ['--paths naming a missing file', ['--url', 'http://x', '--token', 't', '--paths', join(dir, 'nowhere.json')], /^--paths: ENOENT: no such file or directory/],
    ['--paths that is not JSON', ['--url', 'http://x', '--token', 't', '--paths', paths('bad.json', '{getAgents:')], /^--paths: .*JSON/],
    ['--paths with unknown operations', ['--url', 'http://x', '--token', 't', '--paths', paths('unknown.json', '{"getAgents":"/staff","listTickets":"/t","get_user":"/u"}')], new RegExp(`^--paths: listTickets, get_user are not operations \\(${OPERATIONS.join(', ')}\\)\n`)],
    ['--webhook-port that is not a number', ['--url', 'http://x', '--token', 't', '--webhook-port', 'eighty', '--integration-id', 'i', '--webhook-key', 'k'], /^--webhook-port needs a port number, --integration-id and --webhook-key\n/],
    ['--webhook-port without its key', ['--url', 'http://x', '--token', 't', '--webhook-port', '9000', '--integration-id', 'i'], /^--webhook-port needs a port number, --integration-id and --webhook-key\n/],
    ['--timeout that is not a number', ['--url', 'http://x', '--token', 't', '--timeout', 'soon'], /^--timeout is a number of seconds, above 0 and at most 600\n/],
    ['--timeout of zero', ['--url', 'http://x', '--token', 't', '--timeout', '0'], /^--timeout is a number of seconds, above 0 and at most 600\n/],
    ['--timeout past 600 s (a timer that long would overflow and fire at once)', ['--url', 'http://x', '--token', 't', '--timeout', '601'], /^--timeout is a number of seconds, above 0 and at most 600\n/],
    ['--webhook-timeout past an hour', ['--url', 'http://x', '--token', 't', '--webhook-port', '0', '--integration-id', 'i', '--webhook-key', 'k', '--webhook-timeout', '3601'], /^--webhook-timeout is a number of seconds, above 0 and at most 3600\n/],
    ['--webhook-timeout that is not a number', ['--url', 'http://x', '--token', 't', '--webhook-port', '0', '--integration-id', 'i', '--webhook-key', 'k', '--webhook-timeout', 'later'], /^--webhook-timeout is a number of seconds, above 0 and at most 3600\n/],
    ['everything wrong at once', ['--variant', 'x'], /^--url is required\ngive --token, or --token-url with --client-id and --client-secret\n--variant is standard or posts-only\n\nUsage:/]
  ]
  for (const [name, args, stderr] of cases) {
    const res = await cli(args)
    t.equal(res.code, 2, name)
    t.match(res.stderr, stderr, name)
    t.match(res.stderr, /\n\nUsage: fin-helpdesk-check --url <base>.*\n[^]*one line on stderr says which\)\.\n$/, `${name}: the usage follows`)
    t.equal(res.stdout, '', `${name}: nothing on stdout`)
  }
  const gone = await goneUrl(t)
  const nullPaths = await cli(['--url', gone, '--token', 't', '--paths', paths('null.json', 'null'), '--json', '--timeout', '0.5'])
  t.equal(nullPaths.code, 2, '--paths holding null: no renamed paths; the run starts and stops at the unreachable URL')
  t.match(nullPaths.stderr, unreachable(gone), 'not the usage: the arguments were fine')
})

t.test('an unreachable helpdesk: one line on stderr, nothing else, exit 2; --json prints the stopped report; --junit one <error>', async (t) => {
  // A server that accepts and drops every connection: before the client's own timer held the process, the CLI exited
  // 0 here in silence, its checks never finished.
  const url = await goneUrl(t)
  const text = await cli(['--url', url, '--token', 't', '--strict'])
  t.equal(text.code, 2)
  t.match(text.stderr, unreachable(url))
  t.equal(text.stdout, '', 'no check reported: none could look at anything')
  const junit = join(dir, 'unreachable.xml')
  const json = await cli(['--url', url, '--token', 't', '--json', '--junit', junit])
  t.equal(json.code, 2)
  t.match(json.stderr, unreachable(url))
  t.same(JSON.parse(json.stdout) as CheckReport, { passed: 0, failed: 0, warnings: 0, notChecked: 0, stopped: { reason: 'unreachable', message: json.stderr.slice('fin-helpdesk-check: nothing checked: '.length, -1) }, checks: [] })
  const xml = readFileSync(junit, 'utf8')
  t.equal(XMLValidator.validate(xml), true)
  const suite = (new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as { testsuites: { testsuite: { tests: string, errors: string, testcase: { name: string, error: { type: string, message: string } } } } }).testsuites.testsuite
  t.match(suite, { tests: '1', errors: '1', testcase: { name: 'preflight: the helpdesk answers the first call', error: { type: 'unreachable', message: /^cannot reach / } } })
})

t.test('--timeout bounds each call: a helpdesk that takes the request and never answers stops the run after it', async (t) => {
  const silent = Fastify()
  silent.get('/api/fin/agents', () => new Promise(() => {}))
  t.teardown(() => silent.close())
  await silent.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(silent.server.address() as { port: number }).port}/api/fin`
  const res = await cli(['--url', url, '--token', 'tok-Example-0123456789abcdef', '--timeout', '0.3'])
  t.equal(res.code, 2)
  t.equal(res.stderr, `fin-helpdesk-check: nothing checked: cannot reach ${url}/agents: no answer within 300 ms\n`)
  t.equal(res.stdout, '')
})

t.test('a refused token: one line naming it, exit 2', async (t) => {
  const { base } = await exampleHelpdesk(t)
  const res = await cli(['--url', base, '--token', 'wrong'])
  t.equal(res.code, 2)
  t.equal(res.stdout, '')
  t.equal(res.stderr, `fin-helpdesk-check: nothing checked: ${base}/agents refuses the token: HTTP 401\n`)
  const signed = await exampleHelpdesk(t, { FIN_SIGNING_SECRET: 'sign-0123456789-0123456789abcdef' })
  const unsigned = await cli(['--url', signed.base, '--token', 'tok-Example-0123456789abcdef', '--signing-secret', 'not-the-secret'])
  t.equal(unsigned.code, 2)
  t.equal(unsigned.stderr, `fin-helpdesk-check: nothing checked: ${signed.base}/agents refuses the token (or their signature: check --signing-secret): HTTP 401\n`)
})

t.test('no --signing-secret, and the 401 speaks of a signature: the line names both causes (the token refused, or Fin\'s signatures wanted)', async (t) => {
  const signed = await exampleHelpdesk(t, { FIN_SIGNING_SECRET: 'sign-0123456789-0123456789abcdef' })
  const res = await cli(['--url', signed.base, '--token', 'tok-Example-0123456789abcdef'])
  t.equal(res.code, 2)
  t.equal(res.stderr, `fin-helpdesk-check: nothing checked: ${signed.base}/agents refuses the token: HTTP 401, and its answer speaks of a signature: if it wants requests signed as Fin signs them, give --signing-secret\n`)
  // Any helpdesk's words, in any case; a 401 that says nothing of signatures is still the token's.
  const other = Fastify()
  other.get('/api/fin/agents', async (request, reply) => reply.code(401).send(request.headers.authorization === 'Bearer unsigned-0123456789abcdef' ? 'Missing X-Hub-SIGNATURE header' : { error: 'bad token' }))
  t.teardown(() => other.close())
  const base = `${await other.listen({ host: '127.0.0.1', port: 0 })}/api/fin`
  t.match((await cli(['--url', base, '--token', 'unsigned-0123456789abcdef'])).stderr, /refuses the token: HTTP 401, and its answer speaks of a signature: if it wants requests signed as Fin signs them, give --signing-secret\n$/)
  t.equal((await cli(['--url', base, '--token', 'other-token-0123456789'])).stderr, `fin-helpdesk-check: nothing checked: ${base}/agents refuses the token: HTTP 401\n`)
})

t.test('--token-url: the token endpoint is asked first; refused, the run stops in one line', async (t) => {
  const asked: string[] = []
  const oauth = Fastify()
  oauth.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
  oauth.post('/oauth/token', async (request, reply) => {
    asked.push(String(request.headers.authorization))
    return reply.code(401).send({ error: 'invalid_client' })
  })
  t.teardown(() => oauth.close())
  const origin = await oauth.listen({ host: '127.0.0.1', port: 0 })
  const res = await cli(['--url', origin, '--token-url', `${origin}/oauth/token`, '--client-id', 'fin', '--client-secret', 'secret', '--json'])
  t.equal(res.code, 2)
  t.match(JSON.parse(res.stdout), { stopped: { reason: 'refused', message: 'the token endpoint answered 401: it refuses the OAuth client credentials' }, checks: [] })
  t.equal(res.stderr, 'fin-helpdesk-check: nothing checked: the token endpoint answered 401: it refuses the OAuth client credentials\n')
  t.same(asked, [`Basic ${Buffer.from('fin:secret').toString('base64')}`], 'asked once')
})
