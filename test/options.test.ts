import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { MemoryStorage, type FinHelpdeskOptions } from '../lib/index.js'
import { FinOptionsError } from '../lib/errors.js'
import { AUTH, TOKEN } from './fixtures/app.js'

async function routesOf (t: Test, options: Partial<FinHelpdeskOptions>): Promise<string> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { tokens: [TOKEN], ...options })
  await app.ready()
  return app.printRoutes({ commonPrefix: false })
}

t.test('variant: both by default, or only one', async (t) => {
  const both = await routesOf(t, {})
  for (const path of ['/user', '/agents', '/conversation', '/messages', '/get_user', '/update_user', '/create_user', '/get_agents',
    '/get_conversation', '/update_conversation', '/create_conversation', '/get_messages', '/create_message']) {
    t.match(both, path, `both: ${path}`)
  }
  const standard = await routesOf(t, { variant: 'standard' })
  t.match(standard, '/user (GET, HEAD, PUT, POST)')
  t.notMatch(standard, '/get_user')
  const postsOnly = await routesOf(t, { variant: 'posts-only' })
  t.match(postsOnly, '/get_user (POST)')
  t.notMatch(postsOnly, /\/user \(/)
})

t.test('any operation\'s path can be renamed, in either variant', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, {
    prefix: '/hd',
    tokens: [TOKEN],
    paths: { standard: { getUser: '/customers/lookup', getAgents: '/staff' }, postsOnly: { createMessage: '/fin/messages/new' } }
  })
  const user = await app.inject({ method: 'POST', url: '/hd/user', headers: AUTH, payload: { name: 'Jane' } })
  const id = user.json().id
  t.equal((await app.inject({ url: `/hd/customers/lookup?user_id=${id}`, headers: AUTH })).statusCode, 200)
  t.equal((await app.inject({ url: `/hd/user?user_id=${id}`, headers: AUTH })).statusCode, 404, 'GET /user is gone')
  t.equal((await app.inject({ url: '/hd/staff', headers: AUTH })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/hd/fin/messages/new', headers: AUTH, payload: {} })).statusCode, 400, 'renamed POST-only route validates')
  t.equal((await app.inject({ method: 'POST', url: '/hd/get_user', headers: AUTH, payload: { user_id: id } })).statusCode, 200, 'others keep their default')
})

t.test('bad options throw FIN_ERR_OPTIONS at register time', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', 'test-token-0123456789abcdef', /^Invalid fastify-fin-helpdesk options: options must be an object$/],
    ['no auth', {}, /tokens.*verifyToken/],
    ['empty token', { tokens: [''] }, /^Invalid fastify-fin-helpdesk options: tokens must have at least 16 characters each$/],
    ['short token (FIN_API_TOKEN=x)', { tokens: ['x'] }, /^Invalid fastify-fin-helpdesk options: tokens must have at least 16 characters each$/],
    ['15 characters', { tokens: [TOKEN, '0123456789abcde'] }, /tokens must have at least 16 characters each/],
    ['bad variant', { tokens: [TOKEN], variant: 'graphql' }, /variant/],
    ['unknown operation', { tokens: [TOKEN], paths: { standard: { deleteUser: '/x' } } }, /deleteUser is not an operation/],
    ['path without slash', { tokens: [TOKEN], paths: { standard: { getUser: 'user' } } }, /must start with/],
    ['colliding paths', { tokens: [TOKEN], paths: { standard: { getUser: '/agents' } } }, /GET \/agents is used by both/],
    ['posts-only collision', { tokens: [TOKEN], variant: 'posts-only', paths: { postsOnly: { getUser: '/get_agents' } } }, /POST \/get_agents/],
    ['bad name', { tokens: [TOKEN], name: 'brand a' }, /name/],
    ['bad sanitize', { tokens: [TOKEN], sanitize: 'strip' }, /sanitize/],
    ['bad rate limit', { tokens: [TOKEN], rateLimit: { max: 0 } }, /rateLimit.max/],
    ['bad body limit', { tokens: [TOKEN], bodyLimit: -1 }, /bodyLimit/],
    ['attribute limits as a number', { tokens: [TOKEN], attributeLimits: 500 }, /attributeLimits must be an object or false/],
    ['notify: true', { tokens: [TOKEN], notify: true }, /notify must be an object/],
    ['incomplete storage', { tokens: [TOKEN], storage: { getUser: async () => null } }, /storage lacks/]
  ]
  for (const [name, options, message] of cases) {
    const app = Fastify()
    app.register(finHelpdesk, options as FinHelpdeskOptions)
    const err = await Promise.resolve(app.ready()).then(() => null, (e: unknown) => e)
    t.ok(err instanceof FinOptionsError, `${name}: FinOptionsError`)
    t.match(err, { code: 'FIN_ERR_OPTIONS', message }, name)
    await app.close()
  }
})

t.test('options objects are not changed', async (t) => {
  const options = Object.freeze({ tokens: Object.freeze([TOKEN]), rateLimit: Object.freeze({ max: 5 }) }) as unknown as FinHelpdeskOptions
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, options)
  await app.ready()
  t.same(options, { tokens: [TOKEN], rateLimit: { max: 5 } })
})

t.test('two integrations on one app (two brands): own prefix, storage, tokens and events', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const brandA = new MemoryStorage()
  const brandB = new MemoryStorage()
  await app.register(finHelpdesk, { name: 'brand-a', prefix: '/a/fin', tokens: ['token-a-0123456789abcdef'], storage: brandA })
  await app.register(finHelpdesk, { name: 'brand-b', prefix: '/b/fin', tokens: ['token-b-0123456789abcdef'], storage: brandB, variant: 'posts-only' })
  await app.ready()
  t.same(app.fin.names(), ['brand-a', 'brand-b'])
  t.equal(app.fin.get('brand-a').prefix, '/a/fin')
  t.equal(app.fin.get('brand-b').storage, brandB)
  t.equal(app.fin.storage, brandA, 'with no "default", fin.storage is the first registered')

  const seen: string[] = []
  app.fin.get('brand-a').events.on('user.created', ({ integration }) => { seen.push(`a:${integration}`) })
  app.fin.get('brand-b').events.on('user.created', ({ integration }) => { seen.push(`b:${integration}`) })

  const a = await app.inject({ method: 'POST', url: '/a/fin/user', headers: { authorization: 'Bearer token-a-0123456789abcdef' }, payload: { name: 'A' } })
  const b = await app.inject({ method: 'POST', url: '/b/fin/create_user', headers: { authorization: 'Bearer token-b-0123456789abcdef' }, payload: { name: 'B' } })
  t.equal(a.statusCode, 201)
  t.equal(b.statusCode, 201)
  t.same(seen, ['a:brand-a', 'b:brand-b'], 'each integration\'s events are its own')
  t.ok(await brandA.getUser(a.json().id))
  t.equal(await brandA.getUser(b.json().data.id), null, 'brand B\'s user is not in brand A\'s storage')
  t.equal((await app.inject({ method: 'POST', url: '/b/fin/create_user', headers: { authorization: 'Bearer token-a-0123456789abcdef' }, payload: {} })).statusCode, 401, 'tokens are per integration')
  t.equal((await app.inject({ method: 'POST', url: '/b/fin/user', headers: { authorization: 'Bearer token-b-0123456789abcdef' }, payload: {} })).statusCode, 404, 'brand B mounts POST-only only')
  t.throws(() => app.fin.get('brand-c'), { code: 'FIN_ERR_OPTIONS' })
})

t.test('a second integration with the same name is refused', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(finHelpdesk, { prefix: '/a', tokens: [TOKEN] })
  app.register(finHelpdesk, { prefix: '/b', tokens: [TOKEN] })
  await t.rejects(Promise.resolve(app.ready()), { code: 'FIN_ERR_OPTIONS', message: /already registered/ })
})

t.test('nothing leaks onto the host\'s other routes', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.post('/host/echo', async (request) => ({ got: request.body }))
  app.get('/host/boom', async () => { throw Object.assign(new Error('host error'), { statusCode: 418 }) })
  await app.register(finHelpdesk, { prefix: '/fin', tokens: [TOKEN], rateLimit: { max: 1 } })
  app.put('/host/late', async (request) => ({ got: request.body }))
  await app.ready()
  for (let i = 0; i < 3; i++) {
    const echo = await app.inject({ method: 'POST', url: '/host/echo', payload: { n: 1 } })
    t.equal(echo.statusCode, 200, 'no auth, no rate limit on host routes')
  }
  t.same((await app.inject({ method: 'PUT', url: '/host/late', payload: 'plain text', headers: { 'content-type': 'text/plain' } })).json(), { got: 'plain text' }, 'the host keeps its text/plain parser')
  const boom = await app.inject({ url: '/host/boom' })
  t.same(boom.json(), { statusCode: 418, error: "I'm a Teapot", message: 'host error' }, 'the host keeps its error handler')
  t.notOk(boom.headers['x-ratelimit-limit'])
  t.notOk(app.hasDecorator('auth'), '@fastify/auth stays in the child')
  t.notOk(app.hasDecorator('rateLimit'), 'rate-limit decorators stay in the child')
})

t.test('a storage passed in belongs to the host: the plugin does not close it', async (t) => {
  let closed = 0
  class Tracked extends MemoryStorage {
    override async close (): Promise<void> { closed++ }
  }
  const app = Fastify()
  await app.register(finHelpdesk, { tokens: [TOKEN], storage: new Tracked() })
  await app.close()
  t.equal(closed, 0)
})
