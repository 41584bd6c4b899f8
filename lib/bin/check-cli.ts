// fin-helpdesk-check's command line, apart from the process (lib/bin/check.ts) so tests run it in-process.
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { OPERATIONS, type OperationName } from '../operations.js'
import { exitCode, runConformance, toJUnit, type CheckResult } from '../simulator/checks/index.js'

const USAGE = `Usage: fin-helpdesk-check --url <base> (--token <t> | --token-url <u> --client-id <id> --client-secret <s>)
         [--signing-secret <s>] [--variant standard|posts-only] [--paths paths.json]
         [--json] [--junit report.xml] [--strict] [--timeout <seconds>]
         [--webhook-port <n> --integration-id <id> --webhook-key <k> [--webhook-timeout <seconds>]]

Runs the conformance checks of the Fin Custom Helpdesk API against a live helpdesk, as Fin calls it (signed with
--signing-secret, OAuth client credentials with --token-url): every operation and answer, round trips, idempotency,
object_id conflicts, after_id, order, handover, messages and attachments, sanitizing, tokens, signatures, error
shapes, hostile ids and bad input. A failed check is an error (the reference requires it, or Fin's traffic would
fail) or a warning (the reference is silent, Fin copes); a check with nothing to look at is "not checked".
Each call may take --timeout seconds (default 10) before it counts as unanswered.
Creates test data marked "[fin-helpdesk-check]".
Exits 0 when no error check fails; 1 when one does (or a warning, with --strict); 2 when nothing could be checked:
bad arguments, the helpdesk unreachable, or Fin's credentials refused (one line on stderr says which).`

/** Where the CLI writes. */
export interface CliOutput {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/** Runs fin-helpdesk-check with these arguments; resolves to its exit code. */
export async function runCheckCli (argv: string[], out: CliOutput = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) }): Promise<number> {
  let args
  try {
    args = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'token-url': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        variant: { type: 'string', default: 'standard' },
        paths: { type: 'string' },
        'signing-secret': { type: 'string' },
        json: { type: 'boolean', default: false },
        junit: { type: 'string' },
        strict: { type: 'boolean', default: false },
        'webhook-port': { type: 'string' },
        'integration-id': { type: 'string' },
        'webhook-key': { type: 'string' },
        'webhook-timeout': { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', default: false }
      }
    }).values
  } catch (err) {
    out.stderr(`${(err as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  if (args.help === true) {
    out.stdout(`${USAGE}\n`)
    return 0
  }
  const problems: string[] = []
  if (args.url === undefined) problems.push('--url is required')
  const oauth = args['token-url'] !== undefined
  if (args.token === undefined && !oauth) problems.push('give --token, or --token-url with --client-id and --client-secret')
  if (oauth && (args['client-id'] === undefined || args['client-secret'] === undefined)) problems.push('--token-url needs --client-id and --client-secret')
  if (args.variant !== 'standard' && args.variant !== 'posts-only') problems.push('--variant is standard or posts-only')
  let paths: Partial<Record<OperationName, string>> | undefined
  if (args.paths !== undefined) {
    try {
      paths = JSON.parse(readFileSync(args.paths, 'utf8'))
      const unknown = Object.keys(paths ?? {}).filter((key) => !(OPERATIONS as readonly string[]).includes(key))
      if (unknown.length > 0) problems.push(`--paths: ${unknown.join(', ')} are not operations (${OPERATIONS.join(', ')})`)
    } catch (err) {
      problems.push(`--paths: ${(err as Error).message}`)
    }
  }
  const webhookPort = args['webhook-port'] === undefined ? undefined : Number(args['webhook-port'])
  if (webhookPort !== undefined && (!Number.isInteger(webhookPort) || args['integration-id'] === undefined || args['webhook-key'] === undefined)) {
    problems.push('--webhook-port needs a port number, --integration-id and --webhook-key')
  }
  const timeout = args.timeout === undefined ? undefined : Number(args.timeout)
  if (timeout !== undefined && !(timeout > 0 && timeout <= 600)) problems.push('--timeout is a number of seconds, above 0 and at most 600')
  const webhookTimeout = Number(args['webhook-timeout'] ?? 120)
  if (!(webhookTimeout > 0 && webhookTimeout <= 3600)) problems.push('--webhook-timeout is a number of seconds, above 0 and at most 3600')
  if (problems.length > 0) {
    out.stderr(`${problems.join('\n')}\n\n${USAGE}\n`)
    return 2
  }

  const print = (result: CheckResult): void => {
    if (args.json === true) return
    const status = result.status === 'ok' ? 'ok' : result.status === 'not checked' ? 'not checked' : result.severity === 'error' ? 'FAILED' : 'WARNING'
    const indent = ' '.repeat(12)
    let text = `${status.padEnd(11)} ${result.severity.padEnd(7)} ${result.id}: ${result.name}\n`
    if (result.status === 'not checked') text += `${indent}because: ${result.actual}\n`
    if (result.status === 'failed') {
      text += `${indent}sent:     ${result.sent}\n${indent}expected: ${result.expected}\n${indent}got:      ${result.actual}\n`
      if (result.hint !== undefined) text += `${indent}hint:     ${result.hint}\n`
    }
    out.stdout(text)
  }
  const report = await runConformance({
    baseUrl: args.url!,
    token: args.token,
    oauth: oauth ? { tokenUrl: args['token-url']!, clientId: args['client-id']!, clientSecret: args['client-secret']! } : undefined,
    signingSecret: args['signing-secret'],
    variant: args.variant as 'standard' | 'posts-only',
    paths,
    timeout: timeout === undefined ? undefined : timeout * 1000,
    webhook: webhookPort === undefined ? undefined : { port: webhookPort, integrationId: args['integration-id']!, webhookKey: args['webhook-key']!, timeout: webhookTimeout * 1000 },
    onResult: print,
    onNotice: (message: string) => { if (args.json !== true) out.stdout(`...         ${message}\n`) }
  })
  if (args.junit !== undefined) writeFileSync(args.junit, toJUnit(report, { strict: args.strict }))
  if (args.json === true) out.stdout(`${JSON.stringify(report, null, 2)}\n`)
  // Nothing was checked: one line, not a failure per check.
  if (report.stopped !== undefined) out.stderr(`fin-helpdesk-check: nothing checked: ${report.stopped.message}\n`)
  else if (args.json !== true) out.stdout(`\n${report.passed} passed, ${report.failed} failed, ${report.warnings} warnings, ${report.notChecked} not checked${args.strict === true ? ' (--strict: warnings fail)' : ''}\n`)
  return exitCode(report, args.strict)
}
