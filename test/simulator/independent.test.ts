import t, { type Test } from 'tap'
import { exitCode, runConformance, type CheckReport } from '../../lib/simulator/index.js'
import { VARIANTS, type Variant } from '../fixtures/client.js'
import { BREAKS, startIndependentHelpdesk, type Break } from '../fixtures/independent-helpdesk.js'

const TOKEN = 'Fin-Token-0123-abcd'
const SECRET = 'signing-secret-for-the-check'

/** The check that must name each broken rule, and the variants the rule exists in. */
const NAMED: Record<Break, { check: string, variants?: Variant[], signed?: boolean, warning?: boolean }> = {
  'after-id': { check: 'messages.after-id' },
  'after-id-unknown': { check: 'messages.after-id-unknown' },
  order: { check: 'messages.order' },
  idempotency: { check: 'message.idempotent' },
  'idempotency-concurrent': { check: 'message.idempotent-concurrent' },
  'object-id-conflict': { check: 'object-id.conflict', warning: true },
  handover: { check: 'conversation.handover' },
  'empty-message': { check: 'message.empty-refused' },
  'attachment-only': { check: 'message.attachment-only' },
  'http-attachments': { check: 'message.https-attachments' },
  'sanitize-script': { check: 'sanitize.script', warning: true },
  'sanitize-events': { check: 'sanitize.event-attributes', warning: true },
  'sanitize-js-urls': { check: 'sanitize.javascript-urls', warning: true },
  'sanitize-headings': { check: 'sanitize.headings', warning: true },
  'hostile-quotes': { check: 'hostile-ids.quotes' },
  'hostile-unicode': { check: 'hostile-ids.unicode' },
  'hostile-long': { check: 'hostile-ids.long' },
  'error-code': { check: 'errors.code', variants: ['standard'], warning: true },
  'error-problem': { check: 'errors.problem', variants: ['posts-only'], warning: true },
  'success-envelope': { check: 'envelope.data', variants: ['posts-only'] },
  'token-prefix': { check: 'auth.token-prefix' },
  'token-suffix': { check: 'auth.token-suffix' },
  'token-case': { check: 'auth.token-case' },
  'other-scheme': { check: 'auth.other-scheme' },
  'no-auth': { check: 'auth.no-token' },
  'signature-unsigned': { check: 'signature.unsigned', signed: true },
  'signature-stale': { check: 'signature.stale', signed: true },
  'signature-tampered': { check: 'signature.tampered', signed: true },
  'field-names': { check: 'conversation.create', variants: ['standard'] },
  'agent-alias': { check: 'agent.reference', variants: ['posts-only'], warning: true },
  'malformed-json': { check: 'bad-input.malformed-json' },
  'content-type': { check: 'bad-input.content-type', warning: true }
}

async function check (t: Test, variant: Variant, breaks?: Break, signed = false): Promise<CheckReport> {
  const helpdesk = await startIndependentHelpdesk({ variant, token: TOKEN, breaks, signingSecret: signed ? SECRET : undefined })
  t.teardown(helpdesk.close)
  return runConformance({ baseUrl: helpdesk.url, token: TOKEN, variant, signingSecret: signed ? SECRET : undefined })
}

const failing = (report: CheckReport) => report.checks.filter((c) => c.status === 'failed')
const ids = (report: CheckReport, severity: 'error' | 'warning') => failing(report).filter((c) => c.severity === severity).map((c) => c.id)

for (const variant of VARIANTS) {
  for (const signed of [false, true]) {
    t.test(`${variant}${signed ? ', signed' : ''}: the independent helpdesk passes with 0 errors`, async (t) => {
      const report = await check(t, variant, undefined, signed)
      t.same(ids(report, 'error'), [], JSON.stringify(failing(report), null, 1))
      t.equal(exitCode(report), 0)
      // It answers "assignee": null when nobody is assigned: a warning, not an error.
      t.same(ids(report, 'warning'), ['conversation.reference'])
      t.match(report.checks.find((c) => c.id === 'conversation.reference'), { severity: 'warning', ok: false, actual: /^conversation\.assignee is null, where the reference has an object or no conversation\.assignee at all/ })
      t.equal(exitCode(report, true), 1, '--strict fails on the warning')
      const signatures = report.checks.filter((c) => c.id.startsWith('signature.'))
      t.same(signatures.map((c) => c.status), signed ? ['ok', 'ok', 'ok'] : ['not checked', 'not checked', 'not checked'], 'signatures checked only with a signing secret')
    })
  }
}

t.test('each broken rule is named by its check, in each variant it exists in', async (t) => {
  t.same(Object.keys(NAMED).sort(), [...BREAKS].sort(), 'every break has its check')
  for (const rule of BREAKS) {
    const { check: id, variants = VARIANTS, signed = false, warning = false } = NAMED[rule]
    for (const variant of variants) {
      const report = await check(t, variant, rule, signed)
      const named = report.checks.find((c) => c.id === id)
      t.match(named, { ok: false, severity: warning ? 'warning' : 'error' }, `${rule} (${variant}): ${id} fails`)
      t.equal(exitCode(report, warning), 1, `${rule} (${variant}): exit 1${warning ? ' with --strict' : ''}`)
      if (warning) t.equal(exitCode(report), 0, `${rule} (${variant}): a warning alone exits 0`)
      if (rule === 'field-names') t.match(named, { actual: 'message.conversation_id is missing; Fin needs a string' }, 'in plain words, no schema text')
      if (rule === 'agent-alias') t.match(named, { actual: 'alias is not in the reference; it looks like alias_name, which Fin reads', hint: 'rename alias to alias_name' })
    }
  }
})
