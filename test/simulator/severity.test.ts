import { readFile } from 'node:fs/promises'
import t from 'tap'
import { CHECKS } from '../../lib/simulator/checks/index.js'

// Every check carries its severity's reason, and docs/testing-your-integration.md lists each check with the same
// severity and reason: the rule is written once and applied to all.
t.test('each check has a one-line reason for its severity, and the docs table says the same', async (t) => {
  for (const check of CHECKS) t.match(check.why, /^[^\n]{20,}$/, `${check.id}: a reason in one line`)
  const docs = await readFile(new URL('../../docs/testing-your-integration.md', import.meta.url), 'utf8')
  const rows = [...docs.matchAll(/^\| `([a-z.-]+)` \| ([a-z /]+) \| .* \| ([^|]+) \|$/gm)].map(([, id, severity, why]) => ({ id, severity, why }))
  t.same(rows, CHECKS.map((check) => ({ id: check.id, severity: `${check.severity}${check.lesser === undefined ? '' : ` / ${check.lesser}`}`, why: check.why })))
})

t.test('this project\'s own choices are warnings (an error only on a 5xx); what the reference requires or Fin needs is an error', async (t) => {
  const check = (id: string) => CHECKS.find((c) => c.id === id)!
  for (const id of ['object-id.conflict', 'auth.scheme-case', 'sanitize.script', 'sanitize.headings', 'errors.code', 'bad-input.content-type']) t.match(check(id), { severity: 'error', lesser: 'warning' }, id)
  for (const id of ['conversation.reference', 'message.reference']) t.match(check(id), { severity: 'warning', lesser: undefined }, id)
  for (const id of ['conversation.handover', 'messages.after-id-unknown', 'message.idempotent', 'auth.wrong-token', 'envelope.data', 'message.https-attachments']) t.match(check(id), { severity: 'error', lesser: undefined }, id)
})
