import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { causeOf, ConfigError, configErrorLine, listenErrorLine, maskUrl, MIN_SECRET_LENGTH } from '../../examples/helpdesk/config-errors.js'
import { keepGeneratedTokens } from '../../examples/helpdesk/token-file.js'
import finHelpdesk, { type FinHelpdeskOptions } from '../../lib/index.js'
import { FinOptionsError } from '../../lib/errors.js'
import { refusingOrigin } from '../fixtures/refusing-server.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-config-errors-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

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
    },
    {
      env: { ...NOTIFY, FIN_BASE_URL: 'https://fin:hunter2-pass@fin.example.com/hooks' },
      line: 'FIN_BASE_URL: must not contain a user or password',
      plugin: { notify: { integrationId: 'int_1', webhookKey: 'k', baseUrl: 'https://fin:hunter2-pass@fin.example.com/hooks' } },
      shared: 'notify.baseUrl must not contain a user or password'
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

/** The line npm start prints for what readConfig throws. */
function lineOf (env: Record<string, string>, backend: 'sqlite' | 'postgres' = 'sqlite'): string | undefined {
  try {
    readConfig(env, backend)
    return undefined
  } catch (err) {
    return configErrorLine(err, true)
  }
}

t.test('LOG_LEVEL and TRUST_PROXY: refused in one line where pino and proxy-addr threw with a stack', async (t) => {
  t.equal(lineOf({ LOG_LEVEL: 'verbose' }), 'fin-helpdesk: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"')
  t.equal(readConfig({ LOG_LEVEL: 'DEBUG' }).logLevel, 'debug', 'any case')
  t.equal(readConfig({}).logLevel, 'info')
  const rule = 'is not an IP address, a CIDR (10.0.0.0/8) or one of loopback, linklocal, uniquelocal; use those, comma-separated, or true or false'
  t.equal(lineOf({ TRUST_PROXY: 'maybe' }), `fin-helpdesk: TRUST_PROXY: "maybe" ${rule}`)
  for (const bad of ['10.0.0.1,proxy.internal', '1', '10.0.0.0/33', '10.0.0.0/0', '::1/129', '10.0.0.0/255.0.255.0', '10.0.0.0/0.0.0.0', '2001:db8::/ffff::', '999.1.1.1']) {
    t.match(lineOf({ TRUST_PROXY: bad }), /^fin-helpdesk: TRUST_PROXY: "[^"]+" is not an IP address/, bad)
  }
  t.equal(readConfig({ TRUST_PROXY: 'TRUE' }).trustProxy, true, 'TRUE is true')
  t.equal(readConfig({ TRUST_PROXY: ' False ' }).trustProxy, false)
  const good = '127.0.0.1, 10.0.0.0/8, 192.168.1.0/255.255.255.0, ::1, fd00::/8, ::ffff:10.0.0.1, Loopback, linklocal, uniquelocal'
  const list = readConfig({ TRUST_PROXY: good }).trustProxy as string[]
  t.equal(list.length, 9, 'what proxy-addr accepts')
  // Fastify compiles the list with proxy-addr when the app is made: it throws on anything it refuses.
  t.doesNotThrow(() => Fastify({ trustProxy: list }))
})

t.test('FIN_REGION and FIN_BASE_URL are checked whenever set, notifications off too', async (t) => {
  t.equal(lineOf({ FIN_REGION: 'mars' }), 'fin-helpdesk: FIN_REGION must be us, eu or au, not "mars"')
  t.equal(lineOf({ FIN_BASE_URL: 'fin.example.com/hooks' }), 'fin-helpdesk: FIN_BASE_URL: notify.baseUrl must be an http(s) URL')
  t.equal(lineOf({ FIN_BASE_URL: 'https://' }), 'fin-helpdesk: FIN_BASE_URL: notify.baseUrl must be an http(s) URL')
  t.equal(lineOf({ FIN_BASE_URL: 'http://fin.example.com' }), 'fin-helpdesk: FIN_BASE_URL: notify.baseUrl must be https (the webhook key would travel in clear), or on a loopback host')
  t.equal(readConfig({ FIN_REGION: 'eu', FIN_BASE_URL: 'https://fin.example.com' }).notify, undefined, 'valid, and off')
  // Node's fetch refuses a URL with credentials: every delivery failed, and each retry logged the URL.
  for (const base of ['https://user:hunter2-pass@fin.example.com', 'https://user@fin.example.com', 'https://u:2024/hunter2-pass@fin.example.com']) {
    t.equal(lineOf({ ...NOTIFY, FIN_BASE_URL: base }), 'fin-helpdesk: FIN_BASE_URL: must not contain a user or password', base)
  }
})

t.test('REDIS_URL (start:postgres) that ioredis cannot parse: one line naming it, where ioredis threw a stack showing the URL', async (t) => {
  for (const url of ['redis://:se/cret@127.0.0.1:6379', 'redis://:se#cret@127.0.0.1:6379', 'redis://:6379/secret-pass@127.0.0.1', 'redis://127.0.0.1:notaport', 'http://127.0.0.1:6379', '127.0.0.1:6379', '']) {
    const line = lineOf({ REDIS_URL: url }, 'postgres')
    t.equal(line, 'fin-helpdesk: REDIS_URL: must be a redis:// or rediss:// URL with a numeric port (percent-encode a password\'s "/", "?", "#" and "@")', url)
    t.notMatch(line, /cret|secret-pass|notaport/, 'nothing of it echoed')
  }
  t.equal(readConfig({ REDIS_URL: 'rediss://:pass%2Fword@redis.internal:6380/2' }, 'postgres').redisUrl, 'rediss://:pass%2Fword@redis.internal:6380/2', 'an encoded "/" is fine')
  t.equal(readConfig({ REDIS_URL: 'redis://:se/cret@127.0.0.1:6379' }).redisUrl, 'redis://:se/cret@127.0.0.1:6379', 'npm start (SQLite) does not use it: not checked')
})

t.test('an empty FIN_DB_PATH is refused: it wrote the token files into the working folder and used an anonymous temporary database', async (t) => {
  for (const empty of ['', '  ']) t.equal(lineOf({ FIN_DB_PATH: empty }), 'fin-helpdesk: FIN_DB_PATH: is empty; unset it for the default (./data/helpdesk.db), or give a path or :memory:')
  t.equal(readConfig({}).dbPath, './data/helpdesk.db', 'unset: the default')
  t.equal(readConfig({ FIN_DB_PATH: ':memory:' }).dbPath, ':memory:')
})

t.test('AGENT_PASSWORDS: an entry that is not email:password is refused by its number, never echoed (a comma inside a password split it)', async (t) => {
  const rule = (n: number) => `fin-helpdesk: AGENT_PASSWORDS: entry ${n} is not email:password (a password may not contain a comma)`
  for (const [value, n] of [
    ['sarah@helpdesk.example:horse-battery,Staple:correct99', 2],
    ['sarah@helpdesk.example:horse,battery-staple', 2],
    ['sarah@helpdesk.example', 1],
    ['sarah@helpdesk.example:', 1],
    [':password-123', 1],
    ['omar@helpdesk.example:omar-password,sarah@helpdesk.example:horse, battery:staple', 3]
  ] as const) {
    const line = lineOf({ AGENT_PASSWORDS: value })
    t.equal(line, rule(n), value)
    t.notMatch(line, /staple|battery|correct99|horse|password-123/i, 'nothing of a password')
  }
  // Only the email, what comes before the entry's first colon, is ever named.
  t.equal(lineOf({ AGENT_PASSWORDS: 'sarah@helpdesk.example:short' }), 'fin-helpdesk: AGENT_PASSWORDS: the password of sarah@helpdesk.example must have 8 characters or more')
  t.same([...readConfig({ AGENT_PASSWORDS: 'Sarah@helpdesk.example:pass:with:colons' }).agentPasswords], [['sarah@helpdesk.example', 'pass:with:colons']], 'a colon in a password is fine')
})

t.test('a failed listen names HOST or PORT; other errors keep their stack', async (t) => {
  const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND 999.1.1.1'), { code: 'ENOTFOUND' })
  t.equal(listenErrorLine(notFound, '999.1.1.1', 3000), 'fin-helpdesk: HOST: cannot listen on 999.1.1.1 port 3000: not an address of this machine (getaddrinfo ENOTFOUND 999.1.1.1)')
  const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:3000'), { code: 'EADDRINUSE' })
  t.equal(listenErrorLine(inUse, '127.0.0.1', 3000), 'fin-helpdesk: PORT: cannot listen on 127.0.0.1 port 3000: already in use (listen EADDRINUSE: address already in use 127.0.0.1:3000)')
  t.equal(listenErrorLine(Object.assign(new Error('x'), { code: 'ENOMEM' }), '127.0.0.1', 3000), undefined)
  t.equal(listenErrorLine(new Error('x'), '127.0.0.1', 3000), undefined)
})

t.test('AGENT_PASSWORDS naming no agent who signs in stops the start, before anything registers', async (t) => {
  for (const [email, line] of [
    ['nobody@helpdesk.example', 'no agent signs in as nobody@helpdesk.example (the agents: sarah@helpdesk.example, omar@helpdesk.example)'],
    ['fin@helpdesk.example', 'no agent signs in as fin@helpdesk.example (the agents: sarah@helpdesk.example, omar@helpdesk.example)']
  ] as const) {
    const config = readConfig({ FIN_DB_PATH: join(dir, `agents-${email}.db`), AGENT_PASSWORDS: `Sarah@helpdesk.example:sarah-password,${email}:password-123` })
    const err = await buildHelpdesk(config, false).then(() => undefined, (e: unknown) => e)
    t.equal(configErrorLine(err), `fin-helpdesk: AGENT_PASSWORDS: ${line}`, email)
  }
})

t.test('an unusable DATABASE_URL (--postgres): one line naming it and the cause, no password', async (t) => {
  const port = new URL(await refusingOrigin(t)).port
  const url = `postgres://fin:s3cret-pass@127.0.0.1:${port}/helpdesk`
  const err = await buildHelpdesk(readConfig({ DATABASE_URL: url }, 'postgres'), false).then(() => undefined, (e: unknown) => e)
  const line = configErrorLine(err)
  t.match(line, new RegExp(`^fin-helpdesk: DATABASE_URL: cannot use postgres://fin:\\*\\*\\*@127\\.0\\.0\\.1:${port}/helpdesk: \\S`))
  t.notMatch(line, /s3cret/)
  t.equal(line?.includes('\n'), false, 'one line')
})

t.test('a DATABASE_URL whose password holds "/" or "?password=": the line prints neither', async (t) => {
  const port = new URL(await refusingOrigin(t)).port
  for (const [url, shown] of [
    [`postgres://fin:pa/s3cret@127.0.0.1:${port}/helpdesk`, '<unparseable URL>'],
    [`postgres://fin@127.0.0.1:${port}/helpdesk?password=s3cret-pass`, `postgres://fin@127.0.0.1:${port}/helpdesk?password=***`]
  ]) {
    const err = await buildHelpdesk(readConfig({ DATABASE_URL: url }, 'postgres'), false).then(() => undefined, (e: unknown) => e)
    const line = configErrorLine(err)
    t.ok(line?.startsWith(`fin-helpdesk: DATABASE_URL: cannot use ${shown}: `), String(line))
    t.notMatch(line, /s3cret/, 'no password')
    t.equal(line?.includes('\n'), false, 'one line')
  }
})

t.test('a FIN_DB_PATH it cannot use, tokens from the environment: one line naming it, where it crashed with a stack; as when the tokens are generated', async (t) => {
  const tokens = { FIN_API_TOKEN: 'fin-token-0123456789abcdef', CONSOLE_TOKEN: 'console-token-0123456789abcdef' }
  const file = join(dir, 'a-file')
  writeFileSync(file, 'not a database, and not a folder either\n')
  const folder = join(dir, 'a-folder')
  mkdirSync(folder)
  const cases = [
    [join(file, 'x.db'), new RegExp(`^fin-helpdesk: FIN_DB_PATH: cannot use ${file}/x\\.db: ENOTDIR: not a directory, `)],
    [folder, new RegExp(`^fin-helpdesk: FIN_DB_PATH: ${folder} is a folder: give the path of a file, e\\.g\\. ${folder}/helpdesk\\.db$`)],
    [file, new RegExp(`^fin-helpdesk: FIN_DB_PATH: cannot use ${file}: file is not a database$`)]
  ] as const
  for (const [path, line] of cases) {
    const err = await buildHelpdesk(readConfig({ ...tokens, FIN_DB_PATH: path }), false).then(() => undefined, (e: unknown) => e)
    t.match(configErrorLine(err), line, `${path}, tokens from the environment`)
  }
  // Generated tokens are kept beside the database first (server.ts): the same variable, before anything is written.
  for (const [path, line] of cases.slice(0, 2)) {
    let caught: unknown
    try { keepGeneratedTokens(readConfig({ FIN_DB_PATH: path })) } catch (err) { caught = err }
    t.match(configErrorLine(caught, true), line, `${path}, generated tokens`)
  }
  t.notOk(existsSync(join(dir, 'fin-api-token')), 'a folder\'s tokens are not written in the folder above it')
})

t.test('what may be printed of a URL and of a connection error: never its password', async (t) => {
  t.equal(maskUrl('redis://:pw-0123@redis.internal:6379'), 'redis://:***@redis.internal:6379')
  t.equal(maskUrl('postgres://fin:pw@db/x'), 'postgres://fin:***@db/x')
  t.equal(maskUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379', 'nothing to mask: as given')
  // A password with "/" or "#" breaks the parse: nothing of such a URL is printed (it was, raw).
  t.equal(maskUrl('postgres://postgres:pa/ss@127.0.0.1:5432/test'), '<unparseable URL>')
  t.equal(maskUrl('postgres://postgres:pa#ss@127.0.0.1:5432/test'), '<unparseable URL>')
  t.equal(maskUrl('not a url //user:pw@host'), '<unparseable URL>')
  // Starting with digits, it parses as a port, the rest of it in the path, query or fragment.
  t.equal(maskUrl('postgres://fin:2024/pass-0123@db/x'), '<unparseable URL>')
  t.equal(maskUrl('postgres://fin:2024#pass-0123@db/x'), '<unparseable URL>')
  t.equal(maskUrl('postgres://fin:2024?pass-0123@db/x'), '<unparseable URL>')
  // pg honours ?password= (and ?sslpassword=), ioredis ?password=: masked, whatever the case, the rest as given.
  t.equal(maskUrl('postgres://fin@db:5432/x?password=pw-0123&sslmode=require'), 'postgres://fin@db:5432/x?password=***&sslmode=require')
  t.equal(maskUrl('postgres://db/x?PassWord=pw-0123&sslpassword=pw-4567&application_name=fin'), 'postgres://db/x?PassWord=***&sslpassword=***&application_name=fin')
  t.equal(maskUrl('https://otel.example/v1?Token=pw-0123&pwd=pw-4567&secret=pw-89&pass=pw-10'), 'https://otel.example/v1?Token=***&pwd=***&secret=***&pass=***')
  t.equal(maskUrl('redis://:pw-0123@r:6379?password=pw-4567'), 'redis://:***@r:6379?password=***', 'both')
  t.equal(maskUrl('postgres://db/x?sslmode=require'), 'postgres://db/x?sslmode=require', 'no credential in the query: as given')
  t.equal(causeOf(new Error('auth failed for pw-0123'), 'redis://:pw-0123@r'), 'auth failed for ***')
  t.equal(causeOf(new Error('no route to pa/ss@127.0.0.1'), 'postgres://postgres:pa/ss@127.0.0.1:5432/test'), 'no route to ***@127.0.0.1', 'an unparseable URL\'s password')
  t.equal(causeOf(new Error('bad postgres://postgres:pa/ss@127.0.0.1:5432/test'), 'postgres://postgres:pa/ss@127.0.0.1:5432/test'), 'bad <unparseable URL>', 'or all of it')
  t.equal(causeOf(new Error('password pw-0123 refused'), 'postgres://db/x?password=pw-0123'), 'password *** refused', 'a query credential')
  t.equal(causeOf(new Error('first line\n    at stack (file.js:1:1)'), 'redis://r'), 'first line', 'one line')
  t.equal(causeOf(Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:6379')]), { code: 'ECONNREFUSED' }), 'redis://r'), 'connect ECONNREFUSED ::1:6379', 'Node 20\'s AggregateError: its first error')
})
