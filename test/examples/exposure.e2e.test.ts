import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startHelpdesk } from '../fixtures/spawn.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-exposure-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('tokens and secrets from the environment are never printed; generated ones are', async (t) => {
  const secrets = {
    FIN_API_TOKEN: 'env-fin-token-123',
    CONSOLE_TOKEN: 'env-console-token-456',
    FIN_WEBHOOK_KEY: 'env-webhook-key-789',
    FIN_SIGNING_SECRET: 'env-signing-secret',
    FIN_OAUTH_CLIENTS: 'fin:env-oauth-secret-0123456789'
  }
  const helpdesk = await startHelpdesk(t, { ...secrets, FIN_INTEGRATION_ID: 'int_1', FIN_BASE_URL: 'http://127.0.0.1:9', FIN_DB_PATH: join(dir, 'env.db'), LOG_LEVEL: 'info' })
  // Everything it printed, start to shutdown, read once the process has ended (no waiting for more output).
  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0)
  const output = helpdesk.output()
  t.match(output, /Bearer token: from FIN_API_TOKEN \(not printed\)/)
  t.match(output, /token: from CONSOLE_TOKEN \(not printed\)/)
  t.match(output, /shutting down/, 'the logs up to the end are in')
  for (const [name, value] of Object.entries(secrets)) t.notOk(output.includes(value.split(':').pop()!), `${name} is not printed`)

  const generated = await startHelpdesk(t, { FIN_DB_PATH: join(dir, 'generated.db') })
  t.match(generated.output(), /Bearer token: [\w-]{32} {3}\(generated/, 'a generated token is printed: it is the only way to learn it')
  t.match(generated.output(), /token: [\w-]{32} {3}\(generated, kept in \S+console-token: set CONSOLE_TOKEN to choose your own\)/)
  t.equal((await fetch(`${generated.base}/agents`, { headers: { authorization: `Bearer ${generated.token}` } })).status, 200)
  generated.child.kill('SIGTERM')
  t.equal(await generated.exited, 0)
})
