/** error: Fin's traffic would fail. warning: the reference is not followed, but Fin most likely copes. */
export type Severity = 'error' | 'warning'

export interface CheckResult {
  /** Stable id, e.g. `messages.after-id-unknown` (documented in docs/testing-your-integration.md). */
  id: string
  /** What the check wants, in a sentence. */
  name: string
  severity: Severity
  ok: boolean
  /** The request(s) sent, shortened. */
  sent: string
  expected: string
  actual: string
  /** What usually fixes a failure. */
  hint?: string
}

export interface CheckReport {
  passed: number
  /** Failed checks of severity error: any makes the run fail. */
  failed: number
  /** Failed checks of severity warning. */
  warnings: number
  checks: CheckResult[]
}

export function summarize (checks: CheckResult[]): CheckReport {
  const failed = checks.filter((c) => !c.ok)
  return {
    passed: checks.length - failed.length,
    failed: failed.filter((c) => c.severity === 'error').length,
    warnings: failed.filter((c) => c.severity === 'warning').length,
    checks
  }
}

/** The CLI's exit code for a report: 1 on any failed error (or warning, when strict), else 0. */
export function exitCode (report: CheckReport, strict = false): 0 | 1 {
  return report.failed > 0 || (strict && report.warnings > 0) ? 1 : 0
}
