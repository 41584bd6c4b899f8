import Fastify from 'fastify'
import t from 'tap'
import { readConfig } from '../../examples/helpdesk/config.js'
import { ConfigError, configErrorLine, MIN_SECRET_LENGTH } from '../../examples/helpdesk/config-errors.js'
import finHelpdesk, { type FinHelpdeskOptions } from '../../lib/index.js'
import { FinOptionsError } from '../../lib/errors.js'

const LONG = 'long-enough-0123456789'
const NOTIFY = { FIN_INTEGRATION_ID: 'int_1', FIN_WEBHOOK_KEY: 'hook-key-0123456789' }

/** The plugin's own refusal of the same mistake, as its message. */
async function pluginRefusal (options: Partial<FinHelpdeskOptions>): Promise<string> {
  const app = Fastify()
  try {
    await app.register(finHelpdesk, { tokens: [LONG], ...options } as FinHelpdeskOptions)
    return 'accepted'
  } catch (err) {
    t.ok(err instanceof FinOptionsError, 'a FinOptionsError')
    t.equal((err as { code?: string }).code, 'FIN_ERR_OPTIONS')
    return (err as Error).message
  } finally {
    await app.close()
  }
}

t.test('each configuration mistake is one line naming the variable and the rule, in the plugin\'s own words', async (t) => {
  const cases: Array<{ env: Record<string, string>, line: string, plugin?: Partial<FinHelpdeskOptions>, shared?: string }> = [
    { env: { FIN_API_TOKEN: 'x' }, line: 'FIN_API_TOKEN: tokens must have at least 16 characters each', plugin: { tokens: ['x'] } },
    { env: { FIN_API_TOKEN: `${LONG},0123456789abcde` }, line: 'FIN_API_TOKEN: tokens must have at least 16 characters each', plugin: { tokens: [LONG, '0123456789abcde'] } },
    { env: { CONSOLE_TOKEN: 'y' }, line: 'CONSOLE_TOKEN: the console token must have at least 16 characters' },
    { env: { FIN_OAUTH_CLIENTS: 'fin:short' }, line: 'FIN_OAUTH_CLIENTS: oauth client fin: the secret must have at least 16 characters', plugin: { oauth: { clients: [{ id: 'fin', secret: 'short' }] } } },
    { env: { FIN_OAUTH_CLIENTS: `f\u00e9:${LONG}` }, line: 'FIN_OAUTH_CLIENTS: oauth client ids must be 1-128 printable characters without ":"', plugin: { oauth: { clients: [{ id: 'f\u00e9', secret: LONG }] } } },
    { env: { FIN_OAUTH_CLIENTS: `fin:${LONG},fin:${LONG}` }, line: 'FIN_OAUTH_CLIENTS: oauth client fin is listed twice', plugin: { oauth: { clients: [{ id: 'fin', secret: LONG }, { id: 'fin', secret: LONG }] } } },
    { env: { FIN_OAUTH_CLIENTS: 'fin-without-a-secret' }, line: 'FIN_OAUTH_CLIENTS must be comma-separated client_id:client_secret pairs' },
    { env: { FIN_OAUTH_CLIENTS: `fin:${LONG}`, FIN_OAUTH_SIGNING_SECRET: 'short' }, line: 'FIN_OAUTH_SIGNING_SECRET: oauth.signingSecret must be a string of at least 32 characters', plugin: { oauth: { clients: [{ id: 'fin', secret: LONG }], signingSecret: 'short' } } },
    { env: { FIN_SIGNING_SECRET: 'sign' }, line: 'FIN_SIGNING_SECRET: signature.secrets must have at least 16 characters each', plugin: { signature: { secrets: ['sign'] } } },
    {
      env: { ...NOTIFY, FIN_BASE_URL: 'http://fin.example.com/hooks' },
      line: 'FIN_BASE_URL: notify.baseUrl must be https (the webhook key would travel in clear), or on a loopback host',
      plugin: { notify: { integrationId: 'int_1', webhookKey: 'k', baseUrl: 'http://fin.example.com/hooks' } },
      shared: 'notify.baseUrl must be https (the webhook key would travel in clear)'
    }
  ]
  for (const { env, line, plugin, shared } of cases) {
    let caught: unknown
    try { readConfig(env) } catch (err) { caught = err }
    t.equal(configErrorLine(caught, true), `fin-helpdesk: ${line}`, line)
    if (caught instanceof ConfigError) t.equal(caught.variable, line.split(':')[0])
    if (plugin !== undefined) {
      const rule = shared ?? line.slice(line.indexOf(': ') + 2)
      const message = await pluginRefusal(plugin)
      t.ok(message.startsWith(`Invalid fastify-fin-helpdesk options: ${rule}`), `the plugin says the same: ${message}`)
    }
  }
})

t.test('what passes: 16 characters, https, a loopback http URL, generated tokens', async (t) => {
  const sixteen = 'x'.repeat(MIN_SECRET_LENGTH)
  t.equal(MIN_SECRET_LENGTH, 16)
  const config = readConfig({ FIN_API_TOKEN: sixteen, CONSOLE_TOKEN: sixteen, FIN_SIGNING_SECRET: sixteen, FIN_OAUTH_CLIENTS: `fin:${sixteen}`, FIN_OAUTH_SIGNING_SECRET: 'x'.repeat(32) })
  t.same(config.tokens, [sixteen])
  t.match(readConfig({ ...NOTIFY, FIN_BASE_URL: 'https://fin.example.com' }).notify, { baseUrl: 'https://fin.example.com' })
  t.match(readConfig({ ...NOTIFY, FIN_BASE_URL: 'http://127.0.0.1:9/x' }).notify, { baseUrl: 'http://127.0.0.1:9/x' })
  t.match(readConfig({ ...NOTIFY, FIN_BASE_URL: 'http://localhost:9' }).notify, { baseUrl: 'http://localhost:9' })
  t.throws(() => readConfig({ ...NOTIFY, FIN_BASE_URL: 'http://localhost.evil.example' }), { message: /^FIN_BASE_URL: / }, 'not a loopback host')
  t.match(readConfig({}), { tokenGenerated: true, consoleTokenGenerated: true })
  t.equal(await pluginRefusal({ tokens: [sixteen], signature: { secrets: [sixteen] } }), 'accepted')
})

t.test('anything else is no configuration mistake: it keeps its stack', async (t) => {
  t.equal(configErrorLine(new Error('disk I/O error')), undefined)
  t.equal(configErrorLine(undefined), undefined)
  t.equal(configErrorLine(new FinOptionsError('oauth client fin is listed twice')), 'fin-helpdesk: Invalid fastify-fin-helpdesk options: oauth client fin is listed twice')
})
