import t from 'tap'
import { toJUnit, type CheckReport } from '../../lib/simulator/index.js'

// toJUnit's options: the suite's name, and --strict making a failed warning a <failure>.
const report: CheckReport = {
  passed: 1,
  failed: 0,
  warnings: 1,
  notChecked: 0,
  checks: [
    { id: 'agents.list', name: 'lists <agents>', severity: 'error', status: 'ok', ok: true, sent: 'GET /agents', expected: '200', actual: 'as expected' },
    { id: 'agent.reference', name: 'as the "reference" has them', severity: 'warning', status: 'failed', ok: false, sent: 'GET /agents', expected: 'no extra fields', actual: 'alias & co' }
  ]
}

t.test('a named suite; --strict counts the warning as a failure', async (t) => {
  const lenient = toJUnit(report, { name: 'my-suite' })
  t.match(lenient, /<testsuite name="my-suite" tests="2" failures="0"/)
  t.match(lenient, /<testcase classname="my-suite\.agents" name="agents\.list: lists &#60;agents&#62;"><\/testcase>/)
  t.notMatch(lenient, /<failure/)
  const strict = toJUnit(report, { name: 'my-suite', strict: true })
  t.match(strict, /<testsuite name="my-suite" tests="2" failures="1"/)
  t.match(strict, /<failure message="warning: alias &#38; co" type="warning">sent: GET \/agents/)
})

t.test('a check not checked is <skipped> with its reason; a stopped run is one <error>', async (t) => {
  const skipped = toJUnit({ ...report, notChecked: 1, checks: [...report.checks, { id: 'signature.stale', name: 'old requests are refused', severity: 'error', status: 'not checked', ok: false, sent: '-', expected: '-', actual: 'no signing secret given' }] })
  t.match(skipped, /<testsuite name="fin-helpdesk-check" tests="3" failures="0" errors="0" skipped="1">/)
  t.match(skipped, /<testcase classname="fin-helpdesk-check\.signature" name="signature\.stale: old requests are refused">\n {6}<skipped message="not checked: no signing secret given"\/>\n {4}<\/testcase>/)
  const stopped = toJUnit({ passed: 0, failed: 0, warnings: 0, notChecked: 0, stopped: { reason: 'refused', message: 'http://x/agents refuses the token: HTTP 401' }, checks: [] })
  t.match(stopped, /<testsuites name="fin-helpdesk-check" tests="1" failures="0" errors="1">/)
  t.match(stopped, /<error message="http:\/\/x\/agents refuses the token: HTTP 401" type="refused"\/>/)
})
