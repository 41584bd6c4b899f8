import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import { runCheckCli } from '../../lib/bin/check-cli.js'
import { OPERATIONS } from '../../lib/operations.js'
import type { CheckReport } from '../../lib/simulator/index.js'
import { refusingOrigin } from '../fixtures/refusing-server.js'

// fin-helpdesk-check's arguments and its failures: each bad argument exits 2 naming it with the usage, a helpdesk
// that is not there fails every check (exit 1), and a crash of the CLI itself exits 2 from the bin (check.e2e.test.ts).
const dir = mkdtempSync(join(tmpdir(), 'fin-check-args-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

async function cli (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCheckCli(args, { stdout: (text) => { stdout += text }, stderr: (text) => { stderr += text } })
  return { code, stdout, stderr }
}

t.test('--help prints the usage and exits 0', async (t) => {
  const res = await cli(['--help'])
  t.equal(res.code, 0)
  t.match(res.stdout, /^Usage: fin-helpdesk-check --url <base>/)
  t.match(res.stdout, /Exits 1 when an error check fails \(or a warning, with --strict\), 2 on bad arguments\.\n$/)
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
    ['everything wrong at once', ['--variant', 'x'], /^--url is required\ngive --token, or --token-url with --client-id and --client-secret\n--variant is standard or posts-only\n\nUsage:/]
  ]
  for (const [name, args, stderr] of cases) {
    const res = await cli(args)
    t.equal(res.code, 2, name)
    t.match(res.stderr, stderr, name)
    t.match(res.stderr, /\n\nUsage: fin-helpdesk-check --url <base>.*\n[^]*2 on bad arguments\.\n$/, `${name}: the usage follows`)
    t.equal(res.stdout, '', `${name}: nothing on stdout`)
  }
  const nullPaths = await cli(['--url', await refusingOrigin(t), '--token', 't', '--paths', paths('null.json', 'null'), '--json'])
  t.equal(nullPaths.code, 1, '--paths holding null: no renamed paths, the checks run')
})

t.test('an unreachable helpdesk: every check fails with the connection error, exit 1; --json prints only the report', async (t) => {
  const url = `${await refusingOrigin(t)}/api/fin`
  const text = await cli(['--url', url, '--token', 't', '--strict'])
  t.equal(text.code, 1)
  t.match(text.stdout, /^FAILED {3}error {3}agents\.list: get_agents lists the agents, with the fields Fin needs\n {9}sent: {5}-\n {9}expected: a completed exchange\n {9}got: {6}error: fetch failed\n/m)
  t.match(text.stdout, /\n\d+ passed, [1-9]\d* failed, \d+ warnings \(--strict: warnings fail\)\n$/)
  const json = await cli(['--url', url, '--token', 't', '--json'])
  t.equal(json.code, 1)
  const report = JSON.parse(json.stdout) as CheckReport
  t.ok(report.failed > report.passed, 'most checks fail')
  t.equal(report.checks.filter((check) => !check.ok && check.severity === 'error').every((check) => /^(error: fetch failed|not run: )/.test(check.actual)), true, 'each failure is the connection error or a check not run')
  t.match(report.checks[0], { id: 'agents.list', ok: false, actual: 'error: fetch failed' })
  t.notOk(json.stdout.includes('...      '), 'no notices in JSON mode')
})

t.test('--token-url: the token endpoint is asked first; refused, every check reports it', async (t) => {
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
  t.equal(res.code, 1)
  t.match(JSON.parse(res.stdout).checks[0], { id: 'agents.list', ok: false, actual: 'error: token endpoint answered 401' })
  t.equal(asked[0], `Basic ${Buffer.from('fin:secret').toString('base64')}`)
})
