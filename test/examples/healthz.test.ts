import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildHelpdesk } from '../../examples/helpdesk/app.js'
import { readConfig } from '../../examples/helpdesk/config.js'
import { FakeFin } from '../fixtures/fake-fin.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-healthz-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('GET /healthz: storage reachable and the outbox backlog; 503 when storage is down', async (t) => {
  const fin = await FakeFin.start(t)
  fin.hold()
  t.teardown(() => fin.release())
  const config = readConfig({
    FIN_DB_PATH: join(dir, 'helpdesk.db'),
    FIN_INTEGRATION_ID: 'a3c729d4e8f6b15c',
    FIN_WEBHOOK_KEY: 'whk_secret_0123456789',
    FIN_BASE_URL: `${fin.url}/hooks/standalone`
  }, 'sqlite')
  const app = await buildHelpdesk(config, false)
  t.teardown(() => app.close())
  await app.ready()
  const health = async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    return { status: res.statusCode, body: res.json() }
  }
  t.same(await health(), { status: 200, body: { status: 'ok', storage: 'ok', outbox: { pending: 0, in_flight: 0, delivered: 0, failed: 0 } } })
  await app.notifyFin('conv_1')
  await app.notifyFin('conv_2')
  t.match(await health(), { status: 200, body: { outbox: { pending: 2 } } }, 'the backlog')

  await app.fin.storage.close!()
  t.same(await health(), { status: 503, body: { status: 'unavailable', storage: 'unreachable', outbox: null } })
})
