import Fastify from 'fastify'
import t from 'tap'
import finHelpdesk from '../lib/index.js'
import { FIN_EVENT_NAMES, type FinEventName } from '../lib/events.js'
import { FinUnknownEventError } from '../lib/errors.js'
import { FinEvents } from '../lib/events.js'
import { AUTH, TOKEN } from './fixtures/app.js'

t.test('listeners that throw or reject are logged; the request and other listeners go on', async (t) => {
  const logs: Array<{ msg: string, event?: string, err?: { message: string } }> = []
  const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { logs.push(JSON.parse(line)) } } } })
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: [TOKEN] })
  const order: string[] = []
  app.fin.events.on('user.created', () => { order.push('sync-throw'); throw new Error('listener bug') })
  app.fin.events.on('user.created', async () => { order.push('async-reject'); throw new Error('async listener bug') })
  app.fin.events.on('user.created', () => { order.push('healthy') })
  const res = await app.inject({ method: 'POST', url: '/user', headers: AUTH, payload: { name: 'Jane' } })
  t.equal(res.statusCode, 201, 'the request succeeds')
  t.same(order, ['sync-throw', 'async-reject', 'healthy'])
  await new Promise((resolve) => setImmediate(resolve))
  const failures = logs.filter((line) => line.msg.includes('event listener failed'))
  t.same(failures.map((line) => [line.event, line.err?.message]), [['user.created', 'listener bug'], ['user.created', 'async listener bug']])
})

t.test('listeners run only after storage succeeded', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: [TOKEN] })
  let fired = 0
  app.fin.events.on('conversation.created', () => { fired++ })
  app.fin.events.on('message.created', () => { fired++ })
  const res = await app.inject({ method: 'POST', url: '/conversation', headers: AUTH, payload: { user_id: 'ghost', initial_message: { body: 'x' } } })
  t.equal(res.statusCode, 404)
  t.equal(fired, 0)
})

t.test('unknown event names are rejected; on, off, once, listenerCount', async (t) => {
  const events = new FinEvents({ error () {} })
  t.throws(() => events.on('user.deleted' as FinEventName, () => {}), FinUnknownEventError)
  t.throws(() => events.on('user.deleted' as FinEventName, () => {}), { code: 'FIN_ERR_UNKNOWN_EVENT', message: /user\.deleted/ })
  const listener = (): void => {}
  events.on('message.created', listener)
  t.equal(events.listenerCount('message.created'), 1)
  events.off('message.created', listener)
  t.equal(events.listenerCount('message.created'), 0)
  const next = events.once('user.updated')
  events.emit('user.updated', { integration: 'x', user: { id: 'u', user_type: 'end_user' } })
  t.same(await next, { integration: 'x', user: { id: 'u', user_type: 'end_user' } })
  t.equal(events.listenerCount('user.updated'), 0, 'once removes itself')
  t.same([...FIN_EVENT_NAMES].sort(), ['conversation.created', 'conversation.handover', 'conversation.updated', 'message.created', 'notify.failed', 'notify.queued', 'notify.retry', 'notify.sent', 'user.created', 'user.updated'])
})
