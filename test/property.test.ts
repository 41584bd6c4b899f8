import fc from 'fast-check'
import t from 'tap'
import { POSTS_ONLY_PATHS, STANDARD_ROUTES, type OperationName } from '../lib/operations.js'
import { AUTH, buildApp, FIN_AGENT, type TestApp } from './fixtures/app.js'
import { client, VARIANTS, type Variant } from './fixtures/client.js'
import { WriteLoggingStorage } from './fixtures/write-log.js'

// Bounded so `npm test` stays quick; FIN_PROPERTY_RUNS=2000 for a long run.
const RUNS = Number(process.env.FIN_PROPERTY_RUNS ?? 40)
const settings = { numRuns: RUNS, endOnFailure: true }

// ---- valid inputs ----

const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !/[<>]/.test(s) && s.trim() !== '')
// Odd unicode: any code unit, lone surrogates, NUL and bidi controls included. Valid JSON strings, so accepted.
const oddText = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), fc.string({ unit: fc.constantFrom('\ud800', '\udfff', '\u0000', '\u202e', '\u200b', 'a'), minLength: 1, maxLength: 10 }))
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 3 },
    fc.string({ unit: 'grapheme', maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key(), tie('value'), { maxKeys: 3 }))
})).value
function key (): fc.Arbitrary<string> {
  return fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype')
}
const attributes = fc.dictionary(key(), json, { maxKeys: 5 })

interface Seed { userId: string, conversationId: string }

async function seed (call: TestApp['call']): Promise<Seed> {
  const user = (await call('POST', '/user', { name: 'Seed' })).json()
  const created = (await call('POST', '/conversation', { user_id: user.id, initial_message: { body: 'seed' } })).json()
  return { userId: user.id, conversationId: created.conversation.id }
}

for (const variant of VARIANTS) {
  t.test(`${variant}: generated valid requests succeed and round-trip`, async (t) => {
    const { call } = await buildApp(t, { rateLimit: false })
    const op = client(call, variant)
    await fc.assert(fc.asyncProperty(oddText, fc.option(text, { nil: null }), attributes, attributes, text, fc.option(text, { nil: null }), fc.uuid(),
      fc.constantFrom('open', 'resolved', 'closed', 'ended'), fc.array(text, { maxLength: 4 }),
      async (name, email, userAttributes, conversationAttributes, body, title, objectId, status, tags) => {
        const user = await op('createUser', { name, email, object_id: `u-${objectId}` })
        if (user.status !== 201) return false
        const updated = await op('updateUser', { user_id: user.data.id, attributes: userAttributes })
        const read = await op('getUser', { user_id: user.data.id })
        const input = variant === 'standard'
          ? { user_id: user.data.id, title, object_id: `c-${objectId}`, initial_message: { body: `<p>${body}</p>`, attributes: conversationAttributes } }
          : { user: { id: user.data.id }, title, object_id: `c-${objectId}`, attributes: conversationAttributes, initial_message: { body: `<p>${body}</p>` } }
        const created = await op('createConversation', input)
        if (created.status !== 201) throw new Error(`create_conversation: ${created.res.body}`)
        const conversation = await op('getConversation', { conversation_id: created.data.conversation.id })
        const reply = await op('createMessage', { conversation_id: created.data.conversation.id, body, author: { id: FIN_AGENT.id, user_type: 'agent' }, object_id: `m-${objectId}` })
        const messages = await op('getMessages', { conversation_id: created.data.conversation.id, after_id: created.data.message.id })
        t.same(read.data, { ...user.data, attributes: userAttributes }, 'user round-trips')
        t.equal(updated.status, 200)
        t.equal(created.status, 201)
        t.match(conversation.data, { id: created.data.conversation.id, title: title ?? undefined, attributes: conversationAttributes })
        t.same(conversation.data.attributes, conversationAttributes)
        t.equal(created.data.message.body, `<p>${body}</p>`)
        t.equal(reply.status, 201)
        t.same(messages.data.map((m: { body: string }) => m.body), [body])
        const changed = await op('updateConversation', { conversation_id: created.data.conversation.id, status, tags, assignee_id: FIN_AGENT.id })
        t.equal(changed.status, 200)
        t.match((await op('getConversation', { conversation_id: created.data.conversation.id })).data, { status, tags, assignee: { id: FIN_AGENT.id } })
        const agents = await op('getAgents')
        t.equal(agents.status, 200)
        t.ok(agents.data.some((a: { id: string }) => a.id === FIN_AGENT.id))
        return true
      }), settings)
  })
}

// ---- invalid inputs ----

interface Route {
  variant: Variant
  operation: OperationName
  method: 'GET' | 'PUT' | 'POST'
  url: string
  /** A valid input, and the fields whose type is strictly a string (wrong types there are always refused). */
  valid: (seed: Seed) => Record<string, unknown>
  strings: string[]
  required: string[]
}

const routes: Route[] = []
function add (operation: OperationName, valid: Route['valid'], strings: string[], required: string[], postsOnly?: Route['valid']): void {
  const { method, path } = STANDARD_ROUTES[operation]
  routes.push({ variant: 'standard', operation, method, url: path, valid, strings, required })
  routes.push({ variant: 'posts-only', operation, method: 'POST', url: POSTS_ONLY_PATHS[operation], valid: postsOnly ?? valid, strings, required })
}
add('getUser', (s) => ({ user_id: s.userId }), ['user_id'], ['user_id'])
add('updateUser', (s) => ({ user_id: s.userId, attributes: { plan: 'pro' } }), ['user_id'], ['user_id'])
add('createUser', () => ({ name: 'Jane', email: 'j@example.com', object_id: 'new-user' }), ['object_id'], [])
add('getConversation', (s) => ({ conversation_id: s.conversationId }), ['conversation_id'], ['conversation_id'])
add('updateConversation', (s) => ({ conversation_id: s.conversationId, status: 'resolved', tags: ['a'], attributes: { x: 1 } }), ['conversation_id', 'status'], ['conversation_id'])
add('createConversation', (s) => ({ user_id: s.userId, title: 'T', object_id: 'new-conv', initial_message: { body: 'hi', visibility: 'public' } }), ['user_id', 'object_id'], ['user_id', 'initial_message'],
  (s) => ({ user: { id: s.userId }, title: 'T', object_id: 'new-conv', initial_message: { body: 'hi', visibility: 'public' } }))
add('getMessages', (s) => ({ conversation_id: s.conversationId }), ['conversation_id'], ['conversation_id'])
add('createMessage', (s) => ({ conversation_id: s.conversationId, body: 'hi', author: { id: FIN_AGENT.id, user_type: 'agent' }, visibility: 'public', object_id: 'new-msg' }), ['conversation_id', 'visibility', 'object_id'], ['conversation_id', 'author'])

const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), fc.double())

type Mutation =
  | { kind: 'wrong type', field: string, value: unknown }
  | { kind: 'missing', field: string }
  | { kind: 'huge string', field: string, length: number }
  | { kind: 'deep attributes', depth: number }
  | { kind: 'deep body', depth: number }
  | { kind: 'huge array', length: number }
  | { kind: 'poisoned key', key: '__proto__' | 'constructor' }
  | { kind: 'bad enum', value: string }
  | { kind: 'wrong content type', type: string }
  | { kind: 'truncated', at: number }

function mutations (route: Route): fc.Arbitrary<Mutation> {
  const options: Array<fc.Arbitrary<Mutation>> = [
    fc.record({ kind: fc.constant('wrong type' as const), field: fc.constantFrom(...route.strings), value: wrongType }),
    fc.record({ kind: fc.constant('huge string' as const), field: fc.constantFrom(...route.strings.filter((f) => f !== 'status' && f !== 'visibility')), length: fc.integer({ min: 256, max: 5000 }) }),
    fc.record({ kind: fc.constant('poisoned key' as const), key: fc.constantFrom('__proto__' as const, 'constructor' as const) })
  ]
  if (['updateUser', 'updateConversation', 'createConversation'].includes(route.operation)) {
    options.push(fc.record({ kind: fc.constant('deep attributes' as const), depth: fc.integer({ min: 12, max: 28 }) }))
  }
  if (route.method !== 'GET') options.push(fc.record({ kind: fc.constant('deep body' as const), depth: fc.integer({ min: 33, max: 5000 }) }))
  if (route.required.length > 0) options.push(fc.record({ kind: fc.constant('missing' as const), field: fc.constantFrom(...route.required) }))
  if (route.strings.includes('status') || route.strings.includes('visibility')) {
    options.push(fc.record({ kind: fc.constant('bad enum' as const), value: fc.string({ maxLength: 10 }).filter((v) => !['open', 'resolved', 'closed', 'ended', 'public', 'private'].includes(v)) }))
  }
  if (route.operation === 'updateConversation' || route.operation === 'createMessage') options.push(fc.record({ kind: fc.constant('huge array' as const), length: fc.integer({ min: 101, max: 400 }) }))
  if (route.method !== 'GET') {
    options.push(fc.record({ kind: fc.constant('wrong content type' as const), type: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x') }))
    options.push(fc.record({ kind: fc.constant('truncated' as const), at: fc.nat() }))
  }
  return fc.oneof(...options)
}

function deep (depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
}

/** Builds the raw request for a route and mutation: [url, content type, payload]. */
function build (route: Route, seed: Seed, mutation: Mutation): { url: string, contentType?: string, payload?: string } {
  const input: Record<string, unknown> = structuredClone(route.valid(seed))
  let rawAttributes: string | undefined
  const stringField = (field: string): string => (field === 'user_id' && route.operation === 'createConversation' && route.variant === 'posts-only' ? 'user' : field)
  switch (mutation.kind) {
    case 'wrong type': input[stringField(mutation.field)] = mutation.value; break
    case 'missing': delete input[mutation.field === 'user_id' && 'user' in input ? 'user' : mutation.field]; break
    case 'huge string': input[stringField(mutation.field)] = mutation.field === 'user_id' && 'user' in input ? { id: 'x'.repeat(mutation.length) } : 'x'.repeat(mutation.length); break
    case 'bad enum': input[route.strings.includes('status') ? 'status' : 'visibility'] = mutation.value; break
    case 'huge array':
      if (route.operation === 'updateConversation') input.tags = Array(mutation.length).fill('t')
      else input.attachments = Array(mutation.length).fill({ url: 'https://example.com/a' })
      break
    case 'deep attributes': case 'deep body': rawAttributes = deep(mutation.depth); break
    case 'poisoned key': rawAttributes = mutation.key === '__proto__' ? '{"__proto__":{"polluted":true}}' : '{"constructor":{"prototype":{"polluted":true}}}'; break
    default: break
  }
  if (route.method === 'GET') {
    // Query strings: the mutations that make sense there.
    const params = new URLSearchParams()
    for (const [name, value] of Object.entries(input)) {
      if (Array.isArray(value)) for (const v of value) params.append(name, String(v))
      else if (value !== null && typeof value === 'object') params.append(name, JSON.stringify(value))
      else if (mutation.kind === 'wrong type' && typeof value !== 'string') { params.append(name, 'a'); params.append(name, 'b') } else params.append(name, String(value))
    }
    if (rawAttributes !== undefined) params.append(route.strings[0]!, 'x'.repeat(300))
    return { url: `${route.url}?${params}` }
  }
  // The raw attributes replace any the valid input has (a second "attributes" key would win over them).
  if (rawAttributes !== undefined) delete input.attributes
  let payload = JSON.stringify(input)
  if (rawAttributes !== undefined) {
    // Conversation attributes ride on initial_message in the standard create_conversation, at the top elsewhere.
    const host = route.operation === 'createConversation' && route.variant === 'standard' ? '"initial_message":{' : '{'
    payload = payload.replace(host, `${host}"attributes":${rawAttributes},`)
    if (!payload.includes('"attributes":{') && !payload.includes(rawAttributes)) payload = `{"attributes":${rawAttributes},${payload.slice(1)}`
  }
  if (mutation.kind === 'truncated') payload = payload.slice(0, mutation.at % payload.length)
  return { url: route.url, contentType: mutation.kind === 'wrong content type' ? mutation.type : 'application/json', payload }
}

t.test('generated invalid requests get a coded 4xx, never a 5xx, and write nothing', async (t) => {
  const storage = new WriteLoggingStorage()
  const { app, call } = await buildApp(t, { storage, rateLimit: false, authFailureLimit: false })
  const seeds = await seed(call)
  const before = storage.writes.length
  const seen = new Set<string>()
  await fc.assert(fc.asyncProperty(fc.constantFrom(...routes).chain((route) => fc.tuple(fc.constant(route), mutations(route))), async ([route, mutation]) => {
    const request = build(route, seeds, mutation)
    const res = await app.inject({
      method: route.method,
      url: `/fin${request.url}`,
      headers: { ...AUTH, ...(request.contentType === undefined ? {} : { 'content-type': request.contentType }) },
      ...(request.payload === undefined ? {} : { payload: request.payload })
    })
    seen.add(mutation.kind)
    const body = res.json()
    const code = route.variant === 'standard' ? body.code : String(body.error?.type ?? '').split(':').pop()
    const shaped = route.variant === 'standard' ? body.statusCode === res.statusCode : (!('data' in body) && body.error.status === res.statusCode)
    if (res.statusCode < 400 || res.statusCode >= 500 || !/^FIN_ERR_/.test(code) || !shaped) {
      t.fail(`${route.variant} ${route.operation} ${JSON.stringify(mutation).slice(0, 120)} -> ${res.statusCode} ${res.body.slice(0, 200)}`)
      return false
    }
    return storage.writes.length === before && ({} as Record<string, unknown>).polluted === undefined
  }), { ...settings, numRuns: RUNS * 5 })
  t.equal(storage.writes.length, before, 'nothing was written')
  t.ok(seen.size >= 7, `mutations exercised: ${[...seen].join(', ')}`)
})

t.test('extra fields are ignored, never stored', async (t) => {
  const storage = new WriteLoggingStorage()
  const { call } = await buildApp(t, { storage, rateLimit: false })
  await fc.assert(fc.asyncProperty(fc.dictionary(key().filter((k) => !['name', 'email', 'object_id'].includes(k)), json, { minKeys: 1, maxKeys: 4 }), async (extra) => {
    const res = await call('POST', '/user', { ...extra, name: 'Jane' })
    return res.statusCode === 201 && Object.keys(res.json()).sort().join() === 'attributes,email,id,name,photo_url,user_type'
  }), settings)
})
