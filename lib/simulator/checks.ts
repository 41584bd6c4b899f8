import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { Type, type TSchema } from '@sinclair/typebox'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { Agent, Conversation, CreateConversationResponse, EndUser, Message, PostsOnlyAgent, PostsOnlyMessage } from '../schemas/models.js'
import { ProblemDetails } from '../schemas/responses.js'
import { FinClient, type FinClientOptions, type FinResponse } from './client.js'

type Rec = Record<string, any>

export interface CheckResult {
  name: string
  ok: boolean
  expected: string
  actual: string
}

export interface CheckReport {
  passed: number
  failed: number
  checks: CheckResult[]
}

export interface ConformanceOptions extends FinClientOptions {
  /** Also wait for the helpdesk's sync webhook on this port (Fin's side), with this integration id and key. */
  webhook?: { port: number, integrationId: string, webhookKey: string, timeout?: number }
  /** Called with each result as it comes (the CLI prints them). */
  onResult?: (result: CheckResult) => void
  /** Told what to do by hand, e.g. make a change in the helpdesk while the webhook check waits. */
  onNotice?: (message: string) => void
}

/** What marks the records the checker creates as test data (see docs/testing-your-integration.md). */
export const TEST_DATA_MARK = '[fin-helpdesk-check]'

const ajv = new Ajv({ allErrors: false, strict: false, allowUnionTypes: true })
addFormats.default(ajv)
const validators = new Map<TSchema, ValidateFunction>()
/** Why a payload does not fit a schema, or undefined when it does. */
function misfit (schema: TSchema, value: unknown): string | undefined {
  let validate = validators.get(schema)
  if (validate === undefined) {
    // Formats are the helpdesk's business (an odd email is still an email field): check shapes, not formats.
    validate = ajv.compile(JSON.parse(JSON.stringify(schema, (key, v: unknown) => (key === 'format' ? undefined : v))))
    validators.set(schema, validate)
  }
  if (validate(value)) return undefined
  const error = validate.errors?.[0]
  return `${error?.instancePath === '' ? 'payload' : error?.instancePath} ${error?.message ?? 'does not match'}`
}

/**
 * The conformance checks: every operation and its response shape, create-then-read round trips, idempotency
 * (repeated and concurrent), after_id, handover, the body-or-attachment rule, authentication failures, error shapes
 * and bad input that must never get a 5xx. Works against any helpdesk, built with this plugin or not.
 */
export async function runConformance (options: ConformanceOptions): Promise<CheckReport> {
  const client = new FinClient(options)
  const posts = client.variant === 'posts-only'
  const run = randomUUID().slice(0, 8)
  const mark = (kind: string) => `fin-helpdesk-check-${run}-${kind}-${randomUUID().slice(0, 8)}`
  const checks: CheckResult[] = []
  const record = (name: string, ok: boolean, expected: string, actual: string): boolean => {
    const result = { name, ok, expected, actual }
    checks.push(result)
    options.onResult?.(result)
    return ok
  }
  const shape = (name: string, res: FinResponse, status: number[], schema: TSchema, extra?: (data: Rec) => string | undefined): boolean => {
    if (!status.includes(res.status)) return record(name, false, `HTTP ${status.join(' or ')}`, `HTTP ${res.status}: ${res.text.slice(0, 200)}`)
    if (posts) {
      const envelope = res.body as Rec | undefined
      if (envelope === undefined || !('data' in envelope)) return record(name, false, 'a { data, error } envelope', res.text.slice(0, 200))
    }
    const problem = misfit(schema, res.data) ?? extra?.(res.data as Rec)
    return record(name, problem === undefined, `HTTP ${res.status} and a ${schema.description ?? 'valid'} payload`, problem ?? 'as expected')
  }
  const safely = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn()
    } catch (err) {
      record(name, false, 'a completed exchange', `error: ${(err as Error).message}`)
    }
  }

  let agentId: string | undefined
  let userId: string | undefined
  let conversationId: string | undefined
  let firstMessageId: string | undefined

  await safely('get_agents', async () => {
    const res = await client.call('getAgents')
    shape('get_agents: agents with their fields', res, [200], Type.Array(posts ? PostsOnlyAgent : Agent), (agents) =>
      Array.isArray(agents) && agents.length > 0 ? undefined : 'no agent listed (Fin needs one to write as)')
    agentId = (res.data as Rec[] | undefined)?.[0]?.id
  })

  await safely('create_user', async () => {
    const input = { name: `${TEST_DATA_MARK} Test User`, email: `fin-helpdesk-check+${run}@example.invalid`, object_id: mark('user') }
    const res = await client.call('createUser', input)
    shape('create_user: the new end-user', res, [200, 201], EndUser, (u) => (u.name === input.name ? undefined : `name ${JSON.stringify(u.name)}, sent ${JSON.stringify(input.name)}`))
    userId = (res.data as Rec | undefined)?.id
    if (userId === undefined) return
    const again = await client.call('createUser', input)
    record('create_user: idempotent on object_id (repeat)', (again.data as Rec | undefined)?.id === userId, `the same user ${userId}`, `HTTP ${again.status}, id ${(again.data as Rec | undefined)?.id}`)
    const read = await client.call('getUser', { user_id: userId })
    shape('get_user: round trip of the created user', read, [200], EndUser, (u) => (u.id === userId && u.email === input.email ? undefined : `got ${JSON.stringify(u).slice(0, 120)}`))
    const updated = await client.call('updateUser', { user_id: userId, attributes: { fin_check: run } })
    shape('update_user: attributes stored', updated, [200], EndUser, (u) => (u.attributes?.fin_check === run ? undefined : `attributes ${JSON.stringify(u.attributes)}`))
  })

  await safely('create_conversation', async () => {
    if (userId === undefined) return record('create_conversation', false, 'a user to start from', 'create_user failed')
    const message = { message_type: 'comment', body: `<p>${TEST_DATA_MARK} first message</p>`, visibility: 'public', object_id: mark('message'), author: { id: userId, user_type: 'end_user' } }
    const input = posts
      ? { user: { id: userId }, title: `${TEST_DATA_MARK} conversation`, object_id: mark('conversation'), initial_message: message }
      : { user_id: userId, title: `${TEST_DATA_MARK} conversation`, object_id: mark('conversation'), initial_message: message }
    const res = await client.call('createConversation', input)
    shape('create_conversation: { conversation, message }', res, [200, 201], CreateConversationResponse)
    conversationId = (res.data as Rec | undefined)?.conversation?.id
    firstMessageId = (res.data as Rec | undefined)?.message?.id
    if (conversationId === undefined) return
    const again = await client.call('createConversation', input)
    record('create_conversation: idempotent on object_id', (again.data as Rec | undefined)?.conversation?.id === conversationId, `the same conversation ${conversationId}`, `HTTP ${again.status}, id ${(again.data as Rec | undefined)?.conversation?.id}`)
    const read = await client.call('getConversation', { conversation_id: conversationId })
    shape('get_conversation: round trip', read, [200], Conversation, (c) => (c.id === conversationId && c.user?.id === userId ? undefined : `got ${JSON.stringify(c).slice(0, 120)}`))
  })

  const messageSchema = posts ? PostsOnlyMessage : Message
  const ids: string[] = []
  await safely('create_message', async () => {
    if (conversationId === undefined || agentId === undefined) return record('create_message', false, 'a conversation and an agent', 'earlier checks failed')
    for (let i = 0; i < 3; i++) {
      const res = await client.call('createMessage', { conversation_id: conversationId, message_type: 'comment', body: `<p>${TEST_DATA_MARK} reply ${i}</p>`, author: { id: agentId, user_type: 'agent' }, visibility: 'public', object_id: mark('message') })
      if (i === 0) shape('create_message: the new message', res, [200, 201], Message)
      if ((res.data as Rec | undefined)?.id !== undefined) ids.push((res.data as Rec).id)
    }
    const listed = await client.call('getMessages', { conversation_id: conversationId })
    shape('get_messages: oldest first, every message', listed, [200], Type.Array(messageSchema), (list) => {
      const got = (list as unknown as Rec[]).map((m) => m.id)
      const want = [firstMessageId, ...ids]
      return JSON.stringify(got) === JSON.stringify(want) ? undefined : `ids ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`
    })
  })

  await safely('idempotency', async () => {
    if (conversationId === undefined || agentId === undefined) return
    const input = { conversation_id: conversationId, message_type: 'comment', body: `<p>${TEST_DATA_MARK} once</p>`, author: { id: agentId, user_type: 'agent' }, visibility: 'public', object_id: mark('message') }
    const first = await client.call('createMessage', input)
    const repeat = await client.call('createMessage', input)
    record('create_message: idempotent on object_id (repeat)', (repeat.data as Rec | undefined)?.id === (first.data as Rec | undefined)?.id && repeat.status < 300, `HTTP 2xx and id ${(first.data as Rec | undefined)?.id}`, `HTTP ${repeat.status}, id ${(repeat.data as Rec | undefined)?.id}`)
    const burstInput = { ...input, object_id: mark('message') }
    const burst = await Promise.all(Array.from({ length: 10 }, () => client.call('createMessage', burstInput)))
    const burstIds = new Set(burst.map((r) => (r.data as Rec | undefined)?.id))
    const listed = await client.call('getMessages', { conversation_id: conversationId })
    const stored = Array.isArray(listed.data) ? (listed.data as Rec[]).filter((m) => String(m.body ?? '').includes('once')).length : -1
    record('create_message: idempotent under 10 concurrent identical creates', burstIds.size === 1 && stored === 2, 'one message (and the earlier one): 2 stored', `${burstIds.size} ids answered, ${stored} stored`)
  })

  await safely('after_id', async () => {
    if (conversationId === undefined || firstMessageId === undefined || ids.length < 3) return record('after_id', false, 'messages to page through', 'earlier checks failed')
    const after = await client.call('getMessages', { conversation_id: conversationId, after_id: ids[0] })
    const got = Array.isArray(after.data) ? (after.data as Rec[]).map((m) => m.id) : []
    // Returning the full list is allowed (after_id is an optimization); returning too little, or out of order, is not.
    const full = got[0] === firstMessageId
    const ok = full ? got.includes(ids[1]!) && got.includes(ids[2]!) : (got[0] === ids[1] && got[1] === ids[2] && !got.includes(firstMessageId) && !got.includes(ids[0]!))
    record('get_messages: after_id lists what came after (or everything)', ok, `starts with ${ids[1]} then ${ids[2]} (or the full list)`, JSON.stringify(got).slice(0, 200))
  })

  await safely('handover', async () => {
    if (conversationId === undefined) return
    const res = await client.call('updateConversation', { conversation_id: conversationId, assignee_id: null })
    shape('update_conversation: handover (assignee_id null)', res, [200], Conversation, (c) => (c.assignee == null ? undefined : `assignee still ${JSON.stringify(c.assignee)}`))
  })

  await safely('body or attachment', async () => {
    if (conversationId === undefined || agentId === undefined) return
    const base = { conversation_id: conversationId, message_type: 'comment', author: { id: agentId, user_type: 'agent' }, visibility: 'public' }
    const empty = await client.call('createMessage', { ...base, body: '', attachments: [], object_id: mark('message') })
    record('create_message: an empty message is refused', empty.status >= 400 && empty.status < 500, 'HTTP 4xx', `HTTP ${empty.status}`)
    const fileOnly = await client.call('createMessage', { ...base, body: null, attachments: [{ url: 'https://example.invalid/fin-helpdesk-check.pdf', filetype: 'pdf', filename: `${TEST_DATA_MARK} file` }], object_id: mark('message') })
    record('create_message: an attachment-only message is accepted', fileOnly.status >= 200 && fileOnly.status < 300, 'HTTP 2xx', `HTTP ${fileOnly.status}: ${fileOnly.text.slice(0, 120)}`)
  })

  await safely('authentication', async () => {
    const none = await client.call('getAgents', {}, { token: null })
    record('auth: no token is refused', none.status === 401 || none.status === 403, 'HTTP 401 or 403', `HTTP ${none.status}`)
    const wrong = await client.call('getAgents', {}, { token: `wrong-${randomUUID()}` })
    record('auth: a wrong token is refused', wrong.status === 401 || wrong.status === 403, 'HTTP 401 or 403', `HTTP ${wrong.status}`)
  })

  await safely('error shape', async () => {
    const missing = await client.call('getUser', { user_id: `fin-helpdesk-check-missing-${run}` })
    const isError = missing.status >= 400 && missing.status < 500
    let problem: string | undefined = isError ? undefined : `HTTP ${missing.status}`
    if (isError && posts) {
      const envelope = missing.body as Rec | undefined
      problem = envelope === undefined || envelope.error === undefined ? 'no error member' : envelope.data != null ? 'data is set on a failure' : misfit(ProblemDetails, envelope.error) ?? (envelope.error.status === missing.status ? undefined : `error.status ${envelope.error.status} for HTTP ${missing.status}`)
    } else if (isError && missing.body === undefined) {
      problem = 'the error body is not JSON'
    }
    record('errors: an unknown user is a 4xx with a JSON error body' + (posts ? ' (RFC 7807 problem in the envelope)' : ''), problem === undefined, posts ? 'HTTP 4xx, { error: {type, title, status, detail, instance} }' : 'HTTP 4xx with a JSON body', problem ?? `HTTP ${missing.status}`)
  })

  await safely('bad input', async () => {
    const attempts: Array<[string, () => Promise<FinResponse>]> = [
      ['malformed JSON', () => client.call('createUser', {}, { rawBody: '{"name": ' })],
      ['truncated JSON', () => client.call('createMessage', {}, { rawBody: '{"conversation_id":"x","body":"<p>' })],
      ['wrong types', () => client.call('createMessage', { conversation_id: 42, body: ['x'], author: 'fin' })],
      ['missing ids', () => client.call('updateConversation', { status: 'closed' })],
      ['a bad enum', () => client.call('updateConversation', { conversation_id: conversationId ?? 'x', status: 'archived-by-fin-helpdesk-check' })],
      ['a huge string', () => client.call('createUser', { name: 'x'.repeat(300_000), object_id: mark('user') })],
      ['deep nesting', () => client.call('updateUser', {}, { rawBody: `{"user_id":"${userId ?? 'x'}","attributes":${'{"a":'.repeat(500)}1${'}'.repeat(500)}}` })],
      ['a __proto__ key', () => client.call('updateUser', {}, { rawBody: `{"user_id":"${userId ?? 'x'}","attributes":{"__proto__":{"polluted":true}}}` })],
      ['a wrong content type', () => client.call('createUser', {}, { rawBody: 'name=x', contentType: 'text/plain' })]
    ]
    for (const [what, attempt] of attempts) {
      const res = await attempt()
      record(`bad input never gets a 5xx: ${what}`, res.status < 500, 'not a 5xx (a 4xx)', `HTTP ${res.status}: ${res.text.slice(0, 120)}`)
    }
  })

  if (options.webhook !== undefined && conversationId !== undefined) {
    await safely('webhook', async () => {
      const { port, integrationId, webhookKey } = options.webhook!
      const received = await new Promise<{ url: string, key: unknown, body: string } | undefined>((resolve) => {
        const server = createServer((req, res) => {
          let body = ''
          req.on('data', (chunk: Buffer) => { body += chunk.toString() })
          req.on('end', () => {
            res.writeHead(200).end('{}')
            server.close()
            clearTimeout(timer)
            resolve({ url: req.url ?? '', key: req.headers['x-webhook-key'], body })
          })
        })
        const timer = setTimeout(() => { server.close(); resolve(undefined) }, options.webhook!.timeout ?? 120_000)
        server.listen(port, '127.0.0.1', () => options.onNotice?.(`Waiting for the helpdesk's sync webhook on port ${port}: make a change to conversation ${conversationId} in the helpdesk (e.g. reply as an agent).`))
      })
      if (received === undefined) return record('webhook: the helpdesk notifies Fin of a change', false, 'a POST within the timeout', 'nothing arrived')
      record('webhook: path with the integration id', received.url === `/custom_helpdesk_conversation_event/${encodeURIComponent(integrationId)}`, `/custom_helpdesk_conversation_event/${integrationId}`, received.url)
      record('webhook: X-Webhook-Key', received.key === webhookKey, 'the webhook key', received.key === undefined ? 'missing' : 'a different key')
      let body: Rec = {}
      try { body = JSON.parse(received.body) } catch {}
      record('webhook: { conversation_id } of the changed conversation', body.conversation_id === conversationId && (body.event_type ?? null) === null, JSON.stringify({ conversation_id: conversationId }), received.body.slice(0, 200))
    })
  }

  const passed = checks.filter((c) => c.ok).length
  return { passed, failed: checks.length - passed, checks }
}
