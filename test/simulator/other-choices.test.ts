import t, { type Test } from 'tap'
import { exitCode, runConformance, type CheckReport } from '../../lib/simulator/index.js'
import { VARIANTS, type Variant } from '../fixtures/client.js'
import { OTHER_FAULTS, startOtherChoicesHelpdesk, type OtherFault } from '../fixtures/other-choices-helpdesk.js'

// The checker against a second helpdesk written from the reference alone (plain Fastify, SQLite) that chooses
// otherwise wherever the reference is silent: it passes with 0 errors, its choices are warnings, and each of its
// seeded faults is named by its check.
const TOKEN = 'Other-Token-9876-zyxw'

/** The check that must name each fault, its severity, and the variants the fault exists in. */
const NAMED: Record<OtherFault, { check: string, variants?: Variant[], warning?: boolean }> = {
  'newest-first': { check: 'messages.order' },
  'after-id-inclusive': { check: 'messages.after-id' },
  'unknown-after-id-empty': { check: 'messages.after-id-unknown' },
  'user-object-id-ignored': { check: 'user.idempotent' },
  'conversation-repeat-409': { check: 'conversation.idempotent' },
  'message-repeat-new': { check: 'message.idempotent' },
  'null-assignee-refused': { check: 'conversation.handover' },
  'empty-message-stored': { check: 'message.empty-refused' },
  'attachments-need-body': { check: 'message.attachment-only' },
  'http-attachment-stored': { check: 'message.https-attachments' },
  'token-prefix': { check: 'auth.token-prefix' },
  'no-token-ok': { check: 'auth.no-token' },
  'sql-concatenated': { check: 'hostile-ids.quotes' },
  'posts-no-envelope': { check: 'envelope.data', variants: ['posts-only'] },
  'user-type-missing': { check: 'user.create' },
  'conversation-without-message': { check: 'conversation.create' },
  'camel-case': { check: 'conversation.create' },
  'script-kept': { check: 'sanitize.script', warning: true },
  'posts-agent-without-email': { check: 'agents.list', variants: ['posts-only'] },
  'huge-name-crash': { check: 'bad-input.huge-string' },
  'crash-on-bad-json': { check: 'bad-input.malformed-json' }
}

async function check (t: Test, variant: Variant, fault?: OtherFault): Promise<CheckReport> {
  const helpdesk = await startOtherChoicesHelpdesk({ variant, token: TOKEN, fault })
  t.teardown(helpdesk.close)
  return runConformance({ baseUrl: helpdesk.url, token: TOKEN, variant })
}

const failing = (report: CheckReport, severity: 'error' | 'warning') => report.checks.filter((c) => c.status === 'failed' && c.severity === severity)

/** Its choices, each a warning: none is a rule of the reference. */
const CHOICES: Record<Variant, string[]> = {
  standard: ['object-id.conflict', 'sanitize.headings', 'auth.scheme-case', 'errors.code', 'conversation.reference'],
  'posts-only': ['object-id.conflict', 'sanitize.headings', 'auth.scheme-case', 'conversation.reference']
}

for (const variant of VARIANTS) {
  t.test(`${variant}: the helpdesk of other choices passes with 0 errors; its choices are warnings`, async (t) => {
    const report = await check(t, variant)
    t.same(failing(report, 'error').map((c) => c.id), [], JSON.stringify(failing(report, 'error'), null, 1))
    t.equal(exitCode(report), 0)
    t.same(failing(report, 'warning').map((c) => c.id), CHOICES[variant])
    const byId = new Map(report.checks.map((c) => [c.id, c]))
    // 201 and the message already stored under the object_id, from the first conversation.
    t.match(byId.get('object-id.conflict'), { status: 'failed', severity: 'warning', actual: /^HTTP 201: \{/ })
    t.match(byId.get('conversation.reference'), { actual: /^conversation\.assignee is null, where the reference has an object or no conversation\.assignee at all/ })
    // A 300,000-character name taken with 201, and 500 levels of attributes taken: no maximum is a rule.
    t.match(byId.get('bad-input.huge-string'), { status: 'ok', actual: /^HTTP 201: / })
    t.match(byId.get('bad-input.deep-nesting'), { status: 'ok', actual: /^HTTP 200: / })
    // No signature support: those checks are not checked, never ok.
    t.same(report.checks.filter((c) => c.id.startsWith('signature.')).map((c) => c.status), ['not checked', 'not checked', 'not checked'])
    if (variant === 'standard') t.match(byId.get('errors.code'), { severity: 'warning', actual: /^HTTP 404 without a string code and message: \{"error":"not_found"/ })
  })
}

t.test('each seeded fault is named by its check, in each variant it exists in', async (t) => {
  t.same(Object.keys(NAMED).sort(), [...OTHER_FAULTS].sort(), 'every fault has its check')
  for (const fault of OTHER_FAULTS) {
    const { check: id, variants = VARIANTS, warning = false } = NAMED[fault]
    for (const variant of variants) {
      const report = await check(t, variant, fault)
      t.match(report.checks.find((c) => c.id === id), { status: 'failed', severity: warning ? 'warning' : 'error' }, `${fault} (${variant}): ${id} fails`)
      t.equal(exitCode(report, warning), 1, `${fault} (${variant}): exit 1${warning ? ' with --strict' : ''}`)
    }
  }
})

t.test('a 5xx on a size is an error, where a 2xx or a 4xx pass', async (t) => {
  const report = await check(t, 'standard', 'huge-name-crash')
  t.match(report.checks.find((c) => c.id === 'bad-input.huge-string'), { status: 'failed', severity: 'error', actual: /^HTTP 500/ })
})
