/**
 * error: the reference requires it, or Fin's traffic would fail. warning: the reference is silent (this project's
 * own choice) or Fin copes. docs/testing-your-integration.md states the rule; each check gives its reason (`why`).
 */
export type Severity = 'error' | 'warning'

export interface CheckResult {
  /** Stable id, e.g. `messages.after-id-unknown` (documented in docs/testing-your-integration.md). */
  id: string
  /** What the check wants, in a sentence. */
  name: string
  /** How much a failure weighs: the check's own, or a lighter one for a lesser finding (e.g. a 2xx where a 4xx was wanted). */
  severity: Severity
  /** `not checked`: there was nothing to look at (an earlier check created nothing, an option was not given). */
  status: 'ok' | 'failed' | 'not checked'
  /** `status === 'ok'`. */
  ok: boolean
  /** The request(s) sent, shortened. */
  sent: string
  expected: string
  /** What came back; for a check not checked, why. */
  actual: string
  /** What usually fixes a failure. */
  hint?: string
}

/** Why a run stopped before its checks: nothing could be checked. */
export interface CheckStop {
  reason: 'unreachable' | 'refused'
  /** One line, e.g. `cannot reach http://127.0.0.1:9/api/fin: connect ECONNREFUSED 127.0.0.1:9`. */
  message: string
}

export interface CheckReport {
  passed: number
  /** Failed checks of severity error: any makes the run fail. */
  failed: number
  /** Failed checks of severity warning. */
  warnings: number
  /** Checks that had nothing to look at. */
  notChecked: number
  /** Set when the run stopped at once (the helpdesk unreachable, or Fin's credentials refused): no checks ran. */
  stopped?: CheckStop
  checks: CheckResult[]
}

export function summarize (checks: CheckResult[], stopped?: CheckStop): CheckReport {
  const failed = checks.filter((c) => c.status === 'failed')
  return {
    passed: checks.filter((c) => c.status === 'ok').length,
    failed: failed.filter((c) => c.severity === 'error').length,
    warnings: failed.filter((c) => c.severity === 'warning').length,
    notChecked: checks.filter((c) => c.status === 'not checked').length,
    ...(stopped === undefined ? {} : { stopped }),
    checks
  }
}

/**
 * The CLI's exit code for a report: 2 when the run stopped before checking anything (unreachable, credentials
 * refused), 1 on any failed error (or warning, when strict), else 0.
 */
export function exitCode (report: CheckReport, strict = false): 0 | 1 | 2 {
  if (report.stopped !== undefined) return 2
  return report.failed > 0 || (strict && report.warnings > 0) ? 1 : 0
}
