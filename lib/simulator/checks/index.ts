import { FinClient, type FinClientOptions } from '../client.js'
import { closingChecks, webhookChecks } from './closing.js'
import { CheckContext, NotRun, type CheckDefinition, type WebhookCheckOptions } from './context.js'
import { objectChecks } from './objects.js'
import { summarize, type CheckReport, type CheckResult, type CheckStop } from './report.js'
import { ruleChecks } from './rules.js'
import { badInputChecks, securityChecks } from './security.js'

export { TEST_DATA_MARK } from './context.js'
export { exitCode, type CheckReport, type CheckResult, type CheckStop, type Severity } from './report.js'
export { toJUnit } from './junit.js'

/**
 * Every check, in the order they run (later ones use what earlier ones created). Auth and bad input come last: a
 * helpdesk that limits failed attempts must not lock the other checks out.
 */
export const CHECKS: readonly CheckDefinition[] = [...objectChecks, ...ruleChecks, ...securityChecks, ...badInputChecks, ...closingChecks, ...webhookChecks()]

export interface ConformanceOptions extends FinClientOptions {
  /** Also wait for the helpdesk's sync webhook on this port (Fin's side), with this integration id and key. */
  webhook?: WebhookCheckOptions
  /** Called with each result as it comes (the CLI prints them). */
  onResult?: (result: CheckResult) => void
  /** Told what to do by hand, e.g. make a change in the helpdesk while the webhook check waits. */
  onNotice?: (message: string) => void
}

/**
 * The conformance checks, against any helpdesk built with this plugin or not: each operation and its answer,
 * round trips, idempotency (repeated and concurrent), object_id conflicts, after_id, order, handover, the
 * body-or-attachment rule, https attachments, sanitizing, tokens, signatures, OAuth refresh, error shapes, hostile
 * ids and bad input. See docs/testing-your-integration.md for each check's id and severity.
 */
export async function runConformance (options: ConformanceOptions): Promise<CheckReport> {
  const client = new FinClient(options)
  const stopped = await preflight(client)
  if (stopped !== undefined) return summarize([], stopped)
  const ctx = new CheckContext(client, { signingSecret: options.signingSecret, webhook: options.webhook, onNotice: options.onNotice })
  const results: CheckResult[] = []
  for (const check of CHECKS) {
    if (check.variant !== undefined && check.variant !== client.variant) continue
    const base = { id: check.id, name: check.name, severity: check.severity }
    let result: CheckResult
    try {
      const reason = check.unless?.(ctx)
      if (reason !== undefined) throw new NotRun(reason)
      const { severity, ...outcome } = await check.run(ctx)
      // A lesser failure weighs a warning only where the check says so (its `lesser`).
      result = { ...base, ...outcome, status: outcome.ok ? 'ok' : 'failed', ...(outcome.ok || severity === undefined || check.lesser === undefined ? {} : { severity }) }
    } catch (err) {
      result = err instanceof NotRun
        ? { ...base, status: 'not checked', ok: false, sent: '-', expected: '-', actual: err.message }
        : { ...base, status: 'failed', ok: false, sent: '-', expected: 'a completed exchange', actual: `error: ${describeError(err)}` }
    }
    if (result.hint === undefined || result.status !== 'failed') delete result.hint
    results.push(result)
    options.onResult?.(result)
  }
  return summarize(results)
}

/**
 * One call before the checks, as Fin's first (get_agents, after a token with OAuth): an unreachable helpdesk, or
 * credentials it refuses, stop the run in one line. Otherwise every check would fail for the same reason.
 */
async function preflight (client: FinClient): Promise<CheckStop | undefined> {
  const { url } = client.url('getAgents')
  const credentials = client.usesOAuth ? 'the OAuth client credentials' : 'the token'
  const signed = client.signs ? ' (or their signature: check --signing-secret)' : ''
  try {
    await client.token()
  } catch (err) {
    const message = describeError(err)
    return message.startsWith('token endpoint answered')
      ? { reason: 'refused', message: `the ${message}: it refuses ${credentials}` }
      : { reason: 'unreachable', message: `cannot reach the token endpoint: ${message}` }
  }
  try {
    const res = await client.call('getAgents')
    if (res.status === 401 || res.status === 403) {
      // Unsigned, and the refusal speaks of a signature (in any helpdesk's words): the helpdesk may want Fin's
      // signatures, or the token itself is a signed one (a JWT's "invalid signature"): the line names both.
      if (!client.signs && /signature/i.test(res.text)) return { reason: 'refused', message: `${url} refuses ${credentials}: HTTP ${res.status}, and its answer speaks of a signature: if it wants requests signed as Fin signs them, give --signing-secret` }
      return { reason: 'refused', message: `${url} refuses ${credentials}${signed}: HTTP ${res.status}` }
    }
    // Also how a helpdesk answers a wrong token once its failed-authentication limit is reached.
    if (res.status === 429 && res.headers.has('retry-after')) return { reason: 'refused', message: `${url} answers 429 (too many requests or failed authentications from here): try again in ${res.headers.get('retry-after')} seconds` }
  } catch (err) {
    return { reason: 'unreachable', message: `cannot reach ${url}: ${describeError(err)}` }
  }
  return undefined
}

/** An error in a line: fetch's "fetch failed" with its cause (e.g. connect ECONNREFUSED 127.0.0.1:9). */
function describeError (err: unknown): string {
  const error = err as Error & { cause?: Error & { code?: string, errors?: Error[] } }
  const cause = error.cause
  if (cause === undefined) return error.message
  const detail = cause.message !== '' ? cause.message : cause.errors?.[0]?.message ?? cause.code ?? String(cause)
  return error.message === 'fetch failed' ? detail : `${error.message}: ${detail}`
}
