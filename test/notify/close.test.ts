import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import finHelpdesk from '../../lib/index.js'
import { FinNotifyClosedError } from '../../lib/errors.js'
import { SqliteOutbox, SqliteStorage } from '../../lib/sqlite/index.js'
import { ManualClock, until } from '../fixtures/clock.js'
import { FakeFin } from '../fixtures/fake-fin.js'
import { buildNotifyApp } from '../fixtures/notify-app.js'

const SARAH = { id: 'agent_sarah', name: 'Sarah', email: 'sarah@example.com' }
const dir = mkdtempSync(join(tmpdir(), 'fin-close-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

async function appOn (path: string, fin: FakeFin, drainTimeout: number) {
  const app = Fastify()
  const storage = new SqliteStorage({ path })
  app.addHook('onClose', () => storage.close()) // added first: runs after the plugin drained
  await app.register(finHelpdesk, {
    tokens: ['t-0123456789abcdef'],
    storage,
    notify: { integrationId: 'i', webhookKey: 'k', baseUrl: fin.url, coalesceWindow: 0, drainTimeout, outbox: new SqliteOutbox({ database: storage.db }) }
  })
  await app.ready()
  return { app, storage }
}

t.test('close() lets an in-flight delivery finish, then refuses new events', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 200, delay: 300 })
  const path = join(dir, 'drain.db')
  const { app } = await appOn(path, fin, 5000)
  await app.notifyFin('conv_1')
  await fin.waitFor(1)
  const started = Date.now()
  await app.close()
  t.ok(Date.now() - started >= 200, 'close waited for the answer')
  await t.rejects(app.notifyFin('conv_2'), FinNotifyClosedError)
  await t.rejects(app.notifyFin.typing('conv_2', SARAH), FinNotifyClosedError, 'nor a typing event')
  t.throws(() => app.notifyFin('conv_2', { transaction: {} }), FinNotifyClosedError, 'nor a sync in the host\'s transaction: thrown into it')
  const storage = new SqliteStorage({ path })
  t.teardown(() => storage.close())
  t.same(await new SqliteOutbox({ database: storage.db }).counts(), { pending: 0, inflight: 0, failed: 0 }, 'delivered: nothing left')
})

t.test('close() gives up on a hanging Fin after drainTimeout and leaves the sync in the outbox, delivered after restart', async (t) => {
  const down = await FakeFin.start(t)
  down.answer('hang', 'hang')
  const path = join(dir, 'hang.db')
  const first = await appOn(path, down, 200)
  const failed: unknown[] = []
  first.app.fin.events.on('notify.failed', (event) => { failed.push(event) })
  await first.app.notifyFin('conv_1')
  await first.app.notifyFin('conv_2')
  down.answer('hang')
  await first.app.notifyFin.typing('conv_1', SARAH)
  await down.waitFor(3)
  const started = Date.now()
  await first.app.close()
  const took = Date.now() - started
  t.ok(took >= 150 && took < 5000, `close took ${took} ms: about the drain timeout`)
  t.same(failed, [], 'the typing event is abandoned with the rest, not reported as a failure of Fin')

  const fin = await FakeFin.start(t)
  const second = await appOn(path, fin, 5000)
  t.teardown(() => second.app.close())
  await fin.waitFor(2)
  t.same(fin.received.map((r) => r.body.conversation_id).sort(), ['conv_1', 'conv_2'], 'both delivered by the next run')
  await until(async () => (await second.app.notifyFin.stats()).pending === 0, 'outbox empty')
})

t.test('close() drops a typing event waiting to be retried, and leaves no timer behind', async (t) => {
  const fin = await FakeFin.start(t)
  fin.answer({ status: 503 })
  const clock = new ManualClock()
  const { app, events } = await buildNotifyApp(t, fin, { clock, random: () => 0.5, retry: { baseDelay: 1000 }, typingStaleAfter: 5000 })
  await app.notifyFin.typing('conv_1', SARAH)
  await until(() => events['notify.retry'].length === 1, 'a retry scheduled')
  t.ok(clock.pending > 0, 'the retry waits on the clock')
  await app.close()
  t.equal(clock.pending, 0, 'nothing left to fire: neither the typing retry nor the delivery loop')
  t.equal(fin.received.length, 1)
})
