import type { CheckReport } from './report.js'

const escape = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
  // Characters XML 1.0 cannot hold at all.
  // eslint-disable-next-line no-control-regex
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?')

/**
 * The report as JUnit XML, so a CI shows each check as a test case: a failed error is a <failure>, a failed warning
 * is a test case with <system-out> saying so (passing, as the check passes unless --strict, when it is a failure),
 * a check not checked is <skipped>. A run that stopped before its checks is one test case with an <error>.
 */
export function toJUnit (report: CheckReport, options: { name?: string, strict?: boolean } = {}): string {
  const name = options.name ?? 'fin-helpdesk-check'
  const failures = report.failed + (options.strict === true ? report.warnings : 0)
  const testcase = (group: string, title: string): string => `    <testcase classname="${escape(`${name}.${group}`)}" name="${escape(title)}">`
  const cases = report.checks.map((check) => {
    const open = testcase(check.id.split('.')[0]!, `${check.id}: ${check.name}`)
    if (check.status === 'ok') return `${open}</testcase>`
    if (check.status === 'not checked') return `${open}\n      <skipped message="${escape(`not checked: ${check.actual}`)}"/>\n    </testcase>`
    const text = `sent: ${check.sent}\nexpected: ${check.expected}\nactual: ${check.actual}${check.hint === undefined ? '' : `\nhint: ${check.hint}`}`
    const failing = check.severity === 'error' || options.strict === true
    return failing
      ? `${open}\n      <failure message="${escape(`${check.severity}: ${check.actual}`)}" type="${check.severity}">${escape(text)}</failure>\n    </testcase>`
      : `${open}\n      <system-out>${escape(`warning: ${text}`)}</system-out>\n    </testcase>`
  })
  const stopped = report.stopped
  if (stopped !== undefined) {
    cases.push(`${testcase('preflight', 'preflight: the helpdesk answers the first call')}\n      <error message="${escape(stopped.message)}" type="${stopped.reason}"/>\n    </testcase>`)
  }
  const counts = `tests="${cases.length}" failures="${failures}" errors="${stopped === undefined ? 0 : 1}"`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escape(name)}" ${counts}>`,
    `  <testsuite name="${escape(name)}" ${counts} skipped="${report.notChecked}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    ''
  ].join('\n')
}
