import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startHelpdesk } from '../fixtures/spawn.js'
import { havePostgres, PG_URL, testPool } from '../fixtures/services.js'
import { handoverMarks } from '../../examples/helpdesk/inbox/handovers.js'
import { PostgresStorage } from '../../lib/postgres/index.js'

const dir = mkdtempSync(join(tmpdir(), 'fin-inbox-api-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('`npm start` prints the inbox URL, and it serves the page', async (t) => {
  const helpdesk = await startHelpdesk(t, { FIN_DB_PATH: join(dir, 'start.db'), CONSOLE_TOKEN: 'console-token' })
  const url = /Inbox: +(http:\/\/127\.0\.0\.1:\d+\/inbox) /.exec(helpdesk.output())?.[1]
  t.equal(url, `${helpdesk.origin}/inbox`)
  const page = await fetch(url!)
  t.equal(page.status, 200)
  t.match(await page.text(), /<label for="token">Console token<\/label>/)
  helpdesk.child.kill('SIGTERM')
  t.equal(await helpdesk.exited, 0)
})

t.test('on PostgreSQL the marks sit in the helpdesk\'s schema, made once by instances starting together', async (t) => {
  if (!await havePostgres(t)) return
  const { schema } = testPool(t)
  const name = schema('inbox_marks')
  const storage = new PostgresStorage({ connectionString: PG_URL, schema: name })
  t.teardown(() => storage.close())
  await storage.ready()
  const [one, two] = await Promise.all([handoverMarks(storage), handoverMarks(storage)])
  await one.add('conv_a')
  await one.add('conv_a')
  await two.add('conv_b')
  t.same([...await two.list()].sort(), ['conv_a', 'conv_b'], 'both instances see both')
  await two.delete('conv_a')
  t.same([...await one.list()], ['conv_b'])
  t.equal((await storage.pool.query(`SELECT count(*)::int AS n FROM "${name}".inbox_handovers`)).rows[0].n, 1)
})
