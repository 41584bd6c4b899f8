import { FastifyOtelInstrumentation } from '@fastify/otel'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import Fastify from 'fastify'
import t from 'tap'
import finHelpdesk, { MemoryStorage } from '../../lib/index.js'
import { AUTH, TOKEN, buildApp, seedConversation } from '../fixtures/app.js'
import { startOtel } from '../fixtures/otel.js'

t.test('each Fin request is a fin.api.<operation> span with its ids; storage calls are its children', async (t) => {
  const otel = startOtel(t)
  const { call } = await buildApp(t)
  const { userId, conversationId } = await seedConversation(call)
  otel.exporter.reset()

  const res = await call('GET', '/messages', undefined, { conversation_id: conversationId })
  t.equal(res.statusCode, 200)
  const [span] = otel.spans('fin.api.getMessages')
  t.ok(span, 'the request span')
  t.equal(span!.kind, SpanKind.SERVER, 'no server span around it: it is the server span')
  t.same(span!.attributes, {
    'fin.operation': 'getMessages',
    'fin.integration': 'default',
    'fin.variant': 'standard',
    'http.request.method': 'GET',
    'http.route': '/fin/messages',
    'url.path': '/fin/messages',
    'fin.conversation_id': conversationId,
    'http.response.status_code': 200
  })
  t.equal(span!.status.code, SpanStatusCode.UNSET)
  const storage = otel.spans().filter((s) => s.name.startsWith('fin.storage.'))
  t.same(storage.map((s) => s.name), ['fin.storage.listMessages'])
  for (const child of storage) {
    t.equal(child.parentSpanContext?.spanId, span!.spanContext().spanId, `${child.name} is a child of the request span`)
    t.equal(child.spanContext().traceId, span!.spanContext().traceId)
    t.same(child.attributes, { 'fin.integration': 'default' })
  }

  otel.exporter.reset()
  await call('POST', '/get_user', { user_id: userId })
  t.match(otel.spans('fin.api.getUser')[0]!.attributes, { 'fin.operation': 'getUser', 'fin.variant': 'posts-only', 'fin.user_id': userId })
})

t.test('a 404 marks the request span as an error with the coded error', async (t) => {
  const otel = startOtel(t)
  const { call } = await buildApp(t)
  const res = await call('GET', '/conversation', undefined, { conversation_id: 'nope' })
  t.equal(res.statusCode, 404)
  const [span] = otel.spans('fin.api.getConversation')
  t.equal(span!.status.code, SpanStatusCode.ERROR)
  t.equal(span!.status.message, 'FIN_ERR_CONVERSATION_NOT_FOUND: Conversation nope not found')
  t.match(span!.attributes, { 'error.type': 'FIN_ERR_CONVERSATION_NOT_FOUND', 'http.response.status_code': 404, 'fin.conversation_id': 'nope' })
  t.match(span!.events, [{ name: 'exception', attributes: { 'exception.type': 'FIN_ERR_CONVERSATION_NOT_FOUND' } }])
  const [storage] = otel.spans('fin.storage.getConversation')
  t.equal(storage!.status.code, SpanStatusCode.UNSET, 'storage answered: nothing there is not a storage failure')
})

t.test('a failing storage: the storage span records the exception, the request span the 503', async (t) => {
  const otel = startOtel(t)
  const storage = new MemoryStorage()
  storage.getUser = async () => { throw new Error('connection refused') }
  const { call } = await buildApp(t, { storage })
  t.equal((await call('GET', '/user', undefined, { user_id: 'u1' })).statusCode, 503)
  const [store] = otel.spans('fin.storage.getUser')
  t.equal(store!.status.code, SpanStatusCode.ERROR)
  t.equal(store!.status.message, 'connection refused')
  t.match(otel.spans('fin.api.getUser')[0], { status: { code: SpanStatusCode.ERROR }, attributes: { 'error.type': 'FIN_ERR_STORAGE_UNAVAILABLE' } })
})

t.test('auth failures are on the span too', async (t) => {
  const otel = startOtel(t)
  const { app } = await buildApp(t)
  const res = await app.inject({ method: 'GET', url: '/fin/agents', headers: { authorization: 'Bearer wrong' } })
  t.equal(res.statusCode, 401)
  t.match(otel.spans('fin.api.getAgents')[0], { status: { code: SpanStatusCode.ERROR }, attributes: { 'http.response.status_code': 401 } })
})

t.test('with @fastify/otel: a child of its SERVER request span, in the same trace', async (t) => {
  const otel = startOtel(t)
  const instrumentation = new FastifyOtelInstrumentation()
  const app = Fastify()
  await app.register(instrumentation.plugin())
  await app.register(finHelpdesk, { prefix: '/fin', tokens: [TOKEN] })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/fin/agents', headers: AUTH })
  t.equal(res.statusCode, 200)
  const [server] = otel.spans('request')
  const [fin] = otel.spans('fin.api.getAgents')
  t.equal(server!.kind, SpanKind.SERVER)
  t.equal(fin!.kind, SpanKind.INTERNAL)
  t.equal(fin!.parentSpanContext?.spanId, server!.spanContext().spanId)
  t.notOk('http.request.method' in fin!.attributes, 'HTTP attributes are the server span\'s')
  const [storage] = otel.spans('fin.storage.listAgents')
  t.equal(storage!.parentSpanContext?.spanId, fin!.spanContext().spanId)
})

t.test('a caller\'s traceparent is continued when we are the server span', async (t) => {
  const otel = startOtel(t)
  const { app } = await buildApp(t)
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  await app.inject({ method: 'GET', url: '/fin/agents', headers: { ...AUTH, traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })
  const [span] = otel.spans('fin.api.getAgents')
  t.equal(span!.spanContext().traceId, traceId)
  t.equal(span!.parentSpanContext?.spanId, '00f067aa0ba902b7')
})

t.test('host hooks: an error without a code is named by its class; a request answered before ours has no span', async (t) => {
  const otel = startOtel(t)
  const app = Fastify()
  app.addHook('onRequest', async (request, reply) => { if (request.headers['x-early'] !== undefined) return reply.code(418).send('early') })
  app.addHook('preHandler', async (request) => { if (request.headers['x-boom'] !== undefined) throw new TypeError('boom') })
  await app.register(finHelpdesk, { prefix: '/fin', tokens: [TOKEN] })
  t.teardown(() => app.close())
  const boom = await app.inject({ method: 'GET', url: '/fin/agents', headers: { ...AUTH, 'x-boom': '1' } })
  t.equal(boom.statusCode, 500)
  const [span] = otel.spans('fin.api.getAgents')
  t.match(span, { status: { code: SpanStatusCode.ERROR, message: 'TypeError: boom' }, attributes: { 'error.type': 'TypeError', 'http.response.status_code': 500 } })
  otel.exporter.reset()
  const early = await app.inject({ method: 'GET', url: '/fin/agents', headers: { ...AUTH, 'x-early': '1' } })
  t.equal(early.statusCode, 418)
  t.same(otel.spans().filter((s) => s.name.startsWith('fin.')), [], 'no Fin span for a request the host answered first')
})

t.test('the user id of a POST-only create_conversation comes from its user object', async (t) => {
  const otel = startOtel(t)
  const { call } = await buildApp(t)
  const res = await call('POST', '/create_conversation', { user: { id: 'u_inline', name: 'Jane', user_type: 'end_user' }, object_id: 'ic_c1', initial_message: { body: 'Hi', object_id: 'ic_m1', author: { id: 'u_inline', user_type: 'end_user' } } })
  const [span] = otel.spans('fin.api.createConversation')
  t.match(span!.attributes, { 'fin.user_id': 'u_inline', 'http.response.status_code': res.statusCode })
})

t.test('a named integration: its operations are named without the integration\'s prefix', async (t) => {
  const otel = startOtel(t)
  const { call } = await buildApp(t, { name: 'acme' })
  t.equal((await call('GET', '/agents')).statusCode, 200)
  t.equal((await call('POST', '/get_agents')).statusCode, 200)
  t.match(otel.spans('fin.api.getAgents').map((s) => s.attributes), [
    { 'fin.operation': 'getAgents', 'fin.integration': 'acme', 'fin.variant': 'standard' },
    { 'fin.operation': 'getAgents', 'fin.integration': 'acme', 'fin.variant': 'posts-only' }
  ])
})
