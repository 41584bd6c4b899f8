import type { CheckReport } from './report.js'

const escape = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
  // Characters XML 1.0 cannot hold at all.
  // eslint-disable-next-line no-control-regex
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?')

/**
 * The report as JUnit XML, so a CI shows each check as a test case: a failed error is a <failure>, a failed warning
 * is a test case with <system-out> saying so (passing, as the check passes unless --strict, when it is a failure).
 */
export function toJUnit (report: CheckReport, options: { name?: string, strict?: boolean } = {}): string {
  const name = options.name ?? 'fin-helpdesk-check'
  const failures = report.failed + (options.strict === true ? report.warnings : 0)
  const cases = report.checks.map((check) => {
    const open = `    <testcase classname="${escape(`${name}.${check.id.split('.')[0]}`)}" name="${escape(`${check.id}: ${check.name}`)}">`
    if (check.ok) return `${open}</testcase>`
    const text = `sent: ${check.sent}\nexpected: ${check.expected}\nactual: ${check.actual}${check.hint === undefined ? '' : `\nhint: ${check.hint}`}`
    const failing = check.severity === 'error' || options.strict === true
    return failing
      ? `${open}\n      <failure message="${escape(`${check.severity}: ${check.actual}`)}" type="${check.severity}">${escape(text)}</failure>\n    </testcase>`
      : `${open}\n      <system-out>${escape(`warning: ${text}`)}</system-out>\n    </testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escape(name)}" tests="${report.checks.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="${escape(name)}" tests="${report.checks.length}" failures="${failures}" errors="0" skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    ''
  ].join('\n')
}
