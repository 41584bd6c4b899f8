import Fastify from 'fastify'
import t from 'tap'
import finHelpdesk, { MemoryStorage } from '../lib/index.js'
import { type EndUser } from '../lib/schemas/models.js'
import { MAX_ATTRIBUTE_DEPTH } from '../lib/http/validation.js'
import { AUTH, buildApp, seedConversation } from './fixtures/app.js'
import { assertError, VARIANTS } from './fixtures/client.js'

function raw (app: Awaited<ReturnType<typeof buildApp>>['app'], url: string, payload: string, contentType = 'application/json') {
  return app.inject({ method: 'POST', url, headers: { ...AUTH, 'content-type': contentType }, payload })
}

function nested (levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true }
  for (let i = 1; i < levels; i++) value = { next: value }
  return value
}

for (const variant of VARIANTS) {
  const createUser = variant === 'standard' ? '/fin/user' : '/fin/create_user'
  const updateUser = variant === 'standard' ? '/fin/user' : '/fin/update_user'
  const method = variant === 'standard' ? 'PUT' : 'POST'

  t.test(`${variant}: malformed, truncated and poisoned JSON are 400 and write nothing`, async (t) => {
    const { app, storage, call } = await buildApp(t)
    const { userId } = await seedConversation(call)
    const before = await storage.getUser(userId)
    const bodies: Array<[string, string, string]> = [
      ['malformed', '{"user_id": ', 'FIN_ERR_INVALID_JSON'],
      ['truncated', `{"user_id": "${userId}", "attributes": {"plan": "pro"`, 'FIN_ERR_INVALID_JSON'],
      ['__proto__', `{"user_id": "${userId}", "attributes": {"__proto__": {"admin": true}}}`, 'FIN_ERR_INVALID_JSON'],
      ['constructor.prototype', `{"user_id": "${userId}", "attributes": {"constructor": {"prototype": {"admin": true}}}}`, 'FIN_ERR_INVALID_JSON'],
      ['not an object', '"just a string"', 'FIN_ERR_VALIDATION'],
      ['array', '[1,2,3]', 'FIN_ERR_VALIDATION']
    ]
    for (const [name, payload, code] of bodies) {
      const res = await app.inject({ method, url: updateUser, headers: { ...AUTH, 'content-type': 'application/json' }, payload })
      t.test(name, async (t) => assertError(t, variant, res, 400, code))
    }
    t.same(await storage.getUser(userId), before, 'the user is unchanged')
    t.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype was polluted')
  })

  t.test(`${variant}: wrong types are refused, never coerced`, async (t) => {
    const { app, call } = await buildApp(t)
    const { conversationId } = await seedConversation(call)
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      [createUser, { name: 123 }, /name/],
      [createUser, { object_id: 42 }, /object_id/],
      [createUser, { object_id: '' }, /object_id/],
      [variant === 'standard' ? '/fin/messages' : '/fin/create_message', { conversation_id: conversationId, body: 1, author: { id: 'agent_fin', user_type: 'agent' } }, /body/],
      [variant === 'standard' ? '/fin/messages' : '/fin/create_message', { conversation_id: [conversationId], body: 'x', author: { id: 'agent_fin', user_type: 'agent' } }, /conversation_id/],
      [variant === 'standard' ? '/fin/messages' : '/fin/create_message', { conversation_id: conversationId, body: 'x', author: 'agent_fin' }, /author/]
    ]
    for (const [url, payload, field] of cases) {
      const res = await app.inject({ method: 'POST', url, headers: AUTH, payload })
      assertError(t, variant, res, 400, 'FIN_ERR_VALIDATION', field)
    }
    const messages = await call('GET', '/messages', undefined, { conversation_id: conversationId })
    t.equal(messages.json().length, 1, 'no message written')
  })

  t.test(`${variant}: oversized body is 413, wrong content type 415`, async (t) => {
    const { app } = await buildApp(t, { bodyLimit: 1024 })
    const big = await raw(app, createUser, JSON.stringify({ name: 'x'.repeat(2048) }))
    assertError(t, variant, big, 413, 'FIN_ERR_BODY_TOO_LARGE', /1024/)
    const text = await raw(app, createUser, 'name=jane', 'text/plain')
    assertError(t, variant, text, 415, 'FIN_ERR_UNSUPPORTED_MEDIA_TYPE', /^Unsupported Content-Type: "text\/plain" \(send application\/json\)$/)
    const form = await raw(app, createUser, 'name=jane', 'application/x-www-form-urlencoded; charset=utf-8')
    assertError(t, variant, form, 415, 'FIN_ERR_UNSUPPORTED_MEDIA_TYPE', /^Unsupported Content-Type: "application\/x-www-form-urlencoded; charset=utf-8" \(send application\/json\)$/)
    const long = await raw(app, createUser, 'x', `text/${'a'.repeat(300)}`)
    assertError(t, variant, long, 415, 'FIN_ERR_UNSUPPORTED_MEDIA_TYPE', /^Unsupported Content-Type: "text\/a{95}…" \(send/)
  })

  t.test(`${variant}: deep nesting is 400, never a crash`, async (t) => {
    const { app, storage, call } = await buildApp(t)
    const { userId } = await seedConversation(call)
    const ok = await app.inject({ method, url: updateUser, headers: AUTH, payload: { user_id: userId, attributes: nested(MAX_ATTRIBUTE_DEPTH - 1) } })
    t.equal(ok.statusCode, 200, `attributes ${MAX_ATTRIBUTE_DEPTH} levels deep are fine`)
    const before = await storage.getUser(userId)
    const deep = await app.inject({ method, url: updateUser, headers: AUTH, payload: { user_id: userId, attributes: nested(MAX_ATTRIBUTE_DEPTH + 1) } })
    assertError(t, variant, deep, 400, 'FIN_ERR_VALIDATION', /nested deeper/)
    const abyss = await app.inject({
      method,
      url: updateUser,
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: `{"user_id":"${userId}","attributes":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`
    })
    assertError(t, variant, abyss, 400, 'FIN_ERR_VALIDATION', /nested deeper than 32 levels/)
    const ignored = await app.inject({ method: 'POST', url: variant === 'standard' ? '/fin/user' : '/fin/create_user', headers: { ...AUTH, 'content-type': 'application/json' }, payload: `{"name":"x","extra":${'['.repeat(40)}${']'.repeat(40)}}` })
    assertError(t, variant, ignored, 400, 'FIN_ERR_VALIDATION', /nested deeper than 32 levels/)
    t.same(await storage.getUser(userId), before)
  })

  t.test(`${variant}: unknown fields are ignored and never stored`, async (t) => {
    const { app } = await buildApp(t)
    const res = await app.inject({ method: 'POST', url: createUser, headers: AUTH, payload: { name: 'Jane', is_admin: true, role: 'owner' } })
    t.equal(res.statusCode, 201)
    const user: EndUser = variant === 'standard' ? res.json() : res.json().data
    t.same(Object.keys(user).sort(), ['attributes', 'email', 'id', 'name', 'photo_url', 'user_type'])
  })
}

t.test('repeated query parameters are 400', async (t) => {
  const { app } = await buildApp(t)
  const res = await app.inject({ url: '/fin/user?user_id=a&user_id=b', headers: AUTH })
  assertError(t, 'standard', res, 400, 'FIN_ERR_VALIDATION', /user_id/)
})

class BrokenStorage extends MemoryStorage {
  override async getUser (): Promise<EndUser | null> {
    throw new Error('connect ECONNREFUSED 10.1.2.3:5432 (password=hunter2)')
  }

  override async createMessage (): Promise<never> {
    throw new Error('disk I/O error')
  }

  // Not async: a host's method that throws instead of rejecting.
  override listAgents (): Promise<never> {
    throw new Error('connect ECONNREFUSED 10.1.2.3:5432')
  }
}

for (const variant of VARIANTS) {
  t.test(`${variant}: a storage failure is 503, logged, and leaks nothing`, async (t) => {
    const logs: string[] = []
    const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { logs.push(line) } } } })
    t.teardown(() => app.close())
    await app.register(finHelpdesk, { prefix: '/fin', tokens: ['test-token-0123456789abcdef'], storage: new BrokenStorage() })
    const res = variant === 'standard'
      ? await app.inject({ url: '/fin/user?user_id=u1', headers: AUTH })
      : await app.inject({ method: 'POST', url: '/fin/get_user', headers: AUTH, payload: { user_id: 'u1' } })
    assertError(t, variant, res, 503, 'FIN_ERR_STORAGE_UNAVAILABLE')
    t.notMatch(res.body, /ECONNREFUSED|hunter2|10\.1\.2\.3/)
    t.ok(logs.some((line) => line.includes('ECONNREFUSED')), 'the cause is in the log')
    const thrown = variant === 'standard'
      ? await app.inject({ url: '/fin/agents', headers: AUTH })
      : await app.inject({ method: 'POST', url: '/fin/get_agents', headers: AUTH, payload: {} })
    assertError(t, variant, thrown, 503, 'FIN_ERR_STORAGE_UNAVAILABLE')
    t.notMatch(thrown.body, /ECONNREFUSED|10\.1\.2\.3/, 'a storage method that throws instead of rejecting: the same 503')
  })
}

t.test('an unexpected error is a bare 500 that leaks nothing', async (t) => {
  const { app, call } = await buildApp(t, { sanitize: () => { throw new Error('secret internals') } })
  const { conversationId } = await seedConversation(call).catch(() => ({ conversationId: 'x' }))
  const res = await app.inject({ method: 'POST', url: '/fin/messages', headers: AUTH, payload: { conversation_id: conversationId, body: '<p>x</p>', author: { id: 'agent_fin', user_type: 'agent' } } })
  t.equal(res.statusCode, 500)
  t.same(res.json(), { statusCode: 500, code: 'FIN_ERR_INTERNAL', error: 'Internal Server Error', message: 'Internal server error' })
})

t.test('errorCodes holds every FIN_ERR_* class under its code, each an instance of FinError', async (t) => {
  const { errorCodes, FinError } = await import('../lib/index.js')
  t.ok(Object.keys(errorCodes).length >= 23)
  for (const [code, ErrorClass] of Object.entries(errorCodes)) {
    const err = new (ErrorClass as new () => Error & { code: string })()
    t.equal(err.code, code, code)
    t.ok(err instanceof FinError && err instanceof Error, `${code} is a FinError`)
  }
  t.notOk(new Error('x') instanceof FinError, 'another error is not')
})
