import { FinClient, type FinClientOptions } from '../client.js'
import { closingChecks, webhookChecks } from './closing.js'
import { CheckContext, NotRun, type CheckDefinition, type WebhookCheckOptions } from './context.js'
import { objectChecks } from './objects.js'
import { summarize, type CheckReport, type CheckResult } from './report.js'
import { ruleChecks } from './rules.js'
import { badInputChecks, securityChecks } from './security.js'

export { TEST_DATA_MARK } from './context.js'
export { exitCode, type CheckReport, type CheckResult, type Severity } from './report.js'
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
  const ctx = new CheckContext(client, { signingSecret: options.signingSecret, webhook: options.webhook, onNotice: options.onNotice })
  const results: CheckResult[] = []
  for (const check of CHECKS) {
    if (check.variant !== undefined && check.variant !== client.variant) continue
    if (check.when !== undefined && !check.when(ctx)) continue
    let result: CheckResult
    try {
      const outcome = await check.run(ctx)
      result = { id: check.id, name: check.name, severity: check.severity, ...outcome }
    } catch (err) {
      const notRun = err instanceof NotRun
      result = { id: check.id, name: check.name, severity: check.severity, ok: false, sent: '-', expected: 'a completed exchange', actual: notRun ? `not run: ${err.message}` : `error: ${(err as Error).message}` }
    }
    if (result.hint === undefined || result.ok) delete result.hint
    results.push(result)
    options.onResult?.(result)
  }
  return summarize(results)
}
