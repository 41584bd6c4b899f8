import t from 'tap'
import { readConfig } from '../../examples/helpdesk/config.js'

// The example helpdesk's settings from the environment (its processes: helpdesk.e2e.test.ts).
t.test('configuration from env, with clear errors', async (t) => {
  const config = readConfig({
    FIN_API_TOKEN: ' token-a-0123456789, token-b-0123456789 ,', PORT: '8080', FIN_RATE_LIMIT: '0', HOST: '0.0.0.0', FIN_DB_PATH: '/x/y.db', CONSOLE_TOKEN: 'console-0123456789', FIN_INTEGRATION_ID: 'i', FIN_WEBHOOK_KEY: 'k', FIN_REGION: 'eu', TRUST_PROXY: '10.0.0.1, 10.0.1.0/24'
  })
  t.same(config, {
    backend: 'sqlite',
    databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
    dbSchema: 'fin',
    redisUrl: 'redis://127.0.0.1:6379',
    notifyLease: undefined,
    host: '0.0.0.0',
    trustProxy: ['10.0.0.1', '10.0.1.0/24'],
    port: 8080,
    logLevel: 'info',
    tokens: ['token-a-0123456789', 'token-b-0123456789'],
    tokenGenerated: false,
    dbPath: '/x/y.db',
    rateLimit: 0,
    consoleToken: 'console-0123456789',
    consoleTokenGenerated: false,
    notify: { integrationId: 'i', webhookKey: 'k', region: 'eu', baseUrl: undefined },
    oauth: undefined,
    signingSecrets: [],
    agentPasswords: new Map(),
    inboxSessionSecret: undefined,
    inboxSessionTtl: 28_800
  })
  t.same(readConfig({ FIN_OAUTH_CLIENTS: 'fin:secret-0123456789abcdef, fin2:other:secret-with-colon', FIN_OAUTH_TOKEN_TTL: '600', FIN_SIGNING_SECRET: 'token-a-0123456789,token-b-0123456789' }).oauth, {
    clients: [{ id: 'fin', secret: 'secret-0123456789abcdef' }, { id: 'fin2', secret: 'other:secret-with-colon' }], tokenTtl: 600
  })
  t.same(readConfig({ FIN_SIGNING_SECRET: ' token-a-0123456789, token-b-0123456789 ' }).signingSecrets, ['token-a-0123456789', 'token-b-0123456789'])
  t.match(readConfig({ DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', FIN_DB_SCHEMA: 'fin_b', FIN_NOTIFY_LEASE_MS: '5000' }, 'postgres'), {
    backend: 'postgres', databaseUrl: 'postgres://db/x', redisUrl: 'redis://r', dbSchema: 'fin_b', notifyLease: 5000
  })
  t.throws(() => readConfig({ FIN_DB_SCHEMA: 'Bad-Schema' }), /FIN_DB_SCHEMA/)
  t.throws(() => readConfig({ FIN_OAUTH_CLIENTS: 'no-secret' }), /client_id:client_secret/)
  t.throws(() => readConfig({ FIN_OAUTH_CLIENTS: 'a:b', FIN_OAUTH_TOKEN_TTL: '0' }), /FIN_OAUTH_TOKEN_TTL/)
  t.match(readConfig({ FIN_INTEGRATION_ID: 'i', FIN_WEBHOOK_KEY: 'k', FIN_BASE_URL: 'http://127.0.0.1:9' }).notify, { region: 'us', baseUrl: 'http://127.0.0.1:9' })
  t.throws(() => readConfig({ FIN_INTEGRATION_ID: 'i' }), /both FIN_INTEGRATION_ID and FIN_WEBHOOK_KEY/)
  t.throws(() => readConfig({ FIN_INTEGRATION_ID: 'i', FIN_WEBHOOK_KEY: 'k', FIN_REGION: 'mars' }), /FIN_REGION/)
  const defaults = readConfig({})
  t.match(defaults, { host: '127.0.0.1', trustProxy: false, port: 3000, tokenGenerated: true, dbPath: './data/helpdesk.db', rateLimit: undefined, consoleTokenGenerated: true, notify: undefined })
  t.not(defaults.consoleToken, defaults.tokens[0], 'the console has its own token')
  t.match(defaults.tokens, [/^[\w-]{32}$/], 'a generated token')
  t.throws(() => readConfig({ PORT: 'eighty' }), /PORT must be an integer/)
  t.throws(() => readConfig({ FIN_RATE_LIMIT: '-1' }), /FIN_RATE_LIMIT/)
})
