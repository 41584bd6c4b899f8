import t from 'tap'
import { banner, finWebhookUrl, type BannerFacts } from '../../examples/helpdesk/banner.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { REGION_BASE_URLS, webhookUrl } from '../../lib/notify/webhook.js'

// What `npm start` prints once it listens (server.ts prints banner()); the process itself: helpdesk.e2e.test.ts.
const TOKENS = { FIN_API_TOKEN: 'fin-token-0123456789abcdef', CONSOLE_TOKEN: 'console-token-0123456789abcdef' }
const NOTIFY = { FIN_INTEGRATION_ID: 'int_1', FIN_WEBHOOK_KEY: 'webhook-key-0123456789abcdef' }

function print (env: Record<string, string>, facts: Partial<BannerFacts> = {}, backend: 'sqlite' | 'postgres' = 'sqlite'): string {
  return banner({
    config: readConfig({ ...TOKENS, ...env }, backend),
    address: 'http://127.0.0.1:3000',
    kept: {},
    passwords: { generated: [], kept: [] },
    telemetry: false,
    env,
    ...facts
  })
}

/** The banner's line that starts with `label`, and the lines indented under it. */
function section (text: string, label: string): string {
  return /\n( {2}\S[^\n]*\n(?: {4}[^\n]*\n)*)/g.exec(text.slice(text.indexOf(`  ${label}`) - 1))?.[1] ?? ''
}

t.test('HOST not loopback and no TRUST_PROXY: the inbox line says sign-in needs HTTPS, and why', async (t) => {
  t.equal(section(print({ HOST: '0.0.0.0' }), 'Inbox:'), [
    '  Inbox:        http://127.0.0.1:3000/inbox   (agents sign in with their email and password)',
    '    sign-in needs HTTPS: HOST 0.0.0.0 is not loopback, so the session cookie is Secure; serve the helpdesk behind a TLS proxy with TRUST_PROXY set, or set HOST=127.0.0.1',
    ''
  ].join('\n'))
  t.match(section(print({ HOST: '0.0.0.0', TRUST_PROXY: '10.0.0.1' }), 'Inbox:'), /\n {4}sign-in needs HTTPS: through your TLS proxy \(TRUST_PROXY\); plain http to this address is refused\n$/)
  t.notMatch(print({ HOST: '127.0.0.1' }), /sign-in needs HTTPS/, 'on loopback, plain http is fine')
})

t.test('inbox passwords: generated ones printed once; on later starts the banner says which each agent has', async (t) => {
  const first = section(print({}, { passwords: { generated: [{ email: 'sarah@helpdesk.example', password: 'generated-password-0123' }], kept: [] } }), 'Inbox:')
  t.match(first, /\n {4}sarah@helpdesk\.example {3}password: generated-password-0123 {3}\(generated once: set AGENT_PASSWORDS to choose\)\n/)
  const later = section(print({ AGENT_PASSWORDS: 'Omar@helpdesk.example:omar-password-1' }, { passwords: { generated: [], kept: ['sarah@helpdesk.example'] } }), 'Inbox:')
  t.match(later, /\n {4}omar@helpdesk\.example {3}password: set by AGENT_PASSWORDS \(not printed\)\n/)
  // Kept: generated and printed at an earlier start (this instance's or another's), or set by AGENT_PASSWORDS then, never
  // printed: the line says both, and claims no "first start".
  t.match(later, /\n {4}sarah@helpdesk\.example {3}password: unchanged: the one printed when it was generated, or last set by AGENT_PASSWORDS \(only its hash is kept: AGENT_PASSWORDS sets a new one\)\n/)
  t.notMatch(later, /first start/)
  t.notMatch(later, /omar-password-1/, 'a password given is never printed')
})

t.test('on PostgreSQL: the URLs without their passwords, and the rate limit fails open while Redis is unreachable', async (t) => {
  const text = print({ DATABASE_URL: 'postgres://fin:db-pass-0123@db.internal/helpdesk', REDIS_URL: 'redis://:redis-pass-0123@redis.internal:6379' }, {}, 'postgres')
  t.match(text, '\n  Database:     postgres://fin:***@db.internal/helpdesk schema fin, rate limit in redis://:***@redis.internal:6379 (shared by the instances; it fails open, unlimited, while Redis is unreachable)\n')
  t.notMatch(text, /pass-0123/)
  // pg honours ?password=: the banner printed it in clear.
  const query = print({ DATABASE_URL: 'postgres://fin@db.internal/helpdesk?password=db-pass-0123&sslmode=require' }, {}, 'postgres')
  t.match(query, '\n  Database:     postgres://fin@db.internal/helpdesk?password=***&sslmode=require schema fin, ')
  t.notMatch(query, /pass-0123/)
  t.match(print({ DATABASE_URL: 'postgres://fin:pa/ss-0123@db.internal/helpdesk' }, {}, 'postgres'), '\n  Database:     <unparseable URL> schema fin, ', 'a password with "/": nothing of it')
})

t.test('telemetry off: because OTEL_SDK_DISABLED when the endpoint is set; the endpoint printed without its password', async (t) => {
  t.match(print({}), /\n {2}Telemetry: {4}off \(set OTEL_EXPORTER_OTLP_ENDPOINT\)\n/)
  t.match(print({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }), /\n {2}Telemetry: {4}off \(OTEL_SDK_DISABLED=true\)\n/)
  t.match(print({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://u:otel-pass@otel.example' }, { telemetry: true }), /\n {2}Telemetry: {4}OpenTelemetry to https:\/\/u:\*\*\*@otel\.example\/\n/)
})

t.test('notifyFin: the webhook URL it posts to (no key), FIN_BASE_URL winning over FIN_REGION', async (t) => {
  t.match(print(NOTIFY), /\n {2}notifyFin: {4}on, integration int_1: POST https:\/\/api\.intercom\.io\/hooks\/standalone\/custom_helpdesk_conversation_event\/int_1\n/)
  t.match(print({ ...NOTIFY, FIN_REGION: 'eu' }), /POST https:\/\/api\.eu\.intercom\.io\/hooks\/standalone\/custom_helpdesk_conversation_event\/int_1\n/)
  t.match(print({ ...NOTIFY, FIN_REGION: 'eu', FIN_BASE_URL: 'https://fin.example/hooks/' }), /POST https:\/\/fin\.example\/hooks\/custom_helpdesk_conversation_event\/int_1 {3}\(FIN_BASE_URL wins: FIN_REGION is ignored\)\n/)
  t.notMatch(print(NOTIFY), /webhook-key/, 'the key is a header, never printed')
  // The plugin's own URLs: the example's copy of the regions must not drift from lib/notify/webhook.ts.
  for (const region of ['us', 'eu', 'au'] as const) {
    t.equal(finWebhookUrl({ integrationId: 'int 1', webhookKey: 'k', region }), webhookUrl(REGION_BASE_URLS[region], 'int 1'), region)
  }
  t.equal(finWebhookUrl({ integrationId: 'i', webhookKey: 'k', region: 'eu', baseUrl: 'http://127.0.0.1:9/x//' }), webhookUrl('http://127.0.0.1:9/x//', 'i'))
})
