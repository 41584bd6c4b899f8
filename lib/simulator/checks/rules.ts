// The rules Fin depends on beyond shapes: after_id, idempotency, object_id conflicts, handover, the
// body-or-attachment rule, https attachments, and the HTML Fin renders.
import { answered, is2xx, is4xx, lighter, TEST_DATA_MARK, type CheckContext, type CheckDefinition, type Exchange, type Rec } from './context.js'
import { reply } from './objects.js'

const ids = (res: Exchange): string[] => (Array.isArray(res.data) ? (res.data as Rec[]).map((m) => m?.id) : [])

/** Messages of the conversation, for checks that read what was stored. */
async function listed (ctx: CheckContext): Promise<Exchange> {
  return ctx.call('getMessages', { conversation_id: ctx.need(ctx.conversationId, 'a conversation') })
}

/** The sanitizing probe: one message with each kind of markup Fin's rules remove or rewrite, read back as stored. */
const HOSTILE_HTML = `<p>${TEST_DATA_MARK} markup</p><script>alert("fin-check")</script><img src="https://example.invalid/x.png" onerror="alert(1)"><a href="javascript:alert(1)">link</a><h3>Third level</h3>`

async function sanitized (ctx: CheckContext): Promise<{ sent: string, body: string | undefined, status?: number, problem?: string }> {
  return ctx.once('sanitize', async () => {
    const created = await ctx.call('createMessage', reply(ctx, HOSTILE_HTML))
    if (!is2xx(created.status)) return { sent: created.sent, body: undefined, status: created.status, problem: answered(created) }
    const id = (created.data as Rec).id
    const list = await listed(ctx)
    const stored = Array.isArray(list.data) ? (list.data as Rec[]).find((m) => m?.id === id) : undefined
    return { sent: created.sent, body: typeof stored?.body === 'string' ? stored.body : (created.data as Rec).body }
  })
}

const SANITIZE_WHY = 'the reference lists the HTML Fin renders and is silent on what a helpdesk does with other markup: removing it is this project\'s choice (a stored script endangers the helpdesk\'s agents, not Fin); a 5xx on it is an error'

function sanitizeCheck (id: string, name: string, expected: string, broken: (body: string) => string | undefined, why = SANITIZE_WHY): CheckDefinition {
  return {
    id,
    severity: 'error',
    lesser: 'warning',
    why,
    name,
    async run (ctx) {
      const probe = await sanitized(ctx)
      // Refusing the markup outright stores nothing: as good as cleaning it.
      if (probe.status !== undefined && is4xx(probe.status)) return { ok: true, sent: probe.sent, expected, actual: `refused: HTTP ${probe.status}` }
      if (probe.body === undefined) return { ok: false, sent: probe.sent, expected, actual: probe.problem ?? 'the message was not listed', ...lighter({ status: probe.status ?? 200 }) }
      const problem = broken(probe.body)
      return { ok: problem === undefined, sent: probe.sent, expected, actual: problem === undefined ? 'as expected' : `stored as ${JSON.stringify(probe.body.slice(0, 240))}: ${problem}`, hint: 'clean message HTML to what Fin renders (p, h1, h2, b, i, a, img, br, code, ul, ol, li)', severity: 'warning' }
    }
  }
}

export const ruleChecks: CheckDefinition[] = [
  {
    id: 'messages.after-id',
    severity: 'error',
    why: 'filtering on after_id is optional, so the whole list is allowed; fewer messages lose some for Fin (reference: getMessages)',
    name: 'get_messages with after_id lists the messages after it (or every message)',
    async run (ctx) {
      const all = ctx.messageIds
      if (all.length < 4) ctx.need(undefined, 'the messages of message.create')
      const res = await ctx.call('getMessages', { conversation_id: ctx.conversationId, after_id: all[1] })
      const got = ids(res)
      // The full list is allowed (after_id is an optimization); too little, or out of order, is not.
      const ok = res.status === 200 && (JSON.stringify(got) === JSON.stringify(all.slice(2)) || JSON.stringify(got) === JSON.stringify(all))
      return { ok, sent: res.sent, expected: `HTTP 200 and ${all.slice(2).join(', ')} (or all of ${all.join(', ')})`, actual: res.status === 200 ? (got.join(', ') || 'an empty list') : answered(res) }
    }
  },
  {
    id: 'messages.after-id-unknown',
    severity: 'error',
    why: 'after_id is the last message Fin saw and Fin skips what it has: an empty list for an id the helpdesk does not know loses messages (reference: getMessages)',
    name: 'get_messages with an after_id the helpdesk does not know lists every message',
    async run (ctx) {
      const all = ctx.messageIds
      if (all.length < 4) ctx.need(undefined, 'the messages of message.create')
      const res = await ctx.call('getMessages', { conversation_id: ctx.conversationId, after_id: `fin-helpdesk-check-unknown-${ctx.run}` })
      const got = ids(res)
      return { ok: res.status === 200 && JSON.stringify(got) === JSON.stringify(all), sent: res.sent, expected: `HTTP 200 and every message: ${all.join(', ')}`, actual: res.status === 200 ? (got.join(', ') || 'an empty list') : answered(res), hint: 'an unknown after_id means Fin lost track: answer the whole list (Fin skips what it has)' }
    }
  },
  {
    id: 'message.idempotent',
    severity: 'error',
    why: "object_id is Intercom's id, the reference's way to deduplicate; Fin retries a failed sync job up to 5 times (reference FAQ)",
    name: 'create_message with an object_id already used answers the same message and stores nothing new',
    async run (ctx) {
      const input = reply(ctx, `<p>${TEST_DATA_MARK} once</p>`)
      const first = await ctx.call('createMessage', input)
      const repeat = await ctx.call('createMessage', input)
      const id = (first.data as Rec | undefined)?.id
      if (typeof id === 'string') ctx.messageIds.push(id)
      const count = ids(await listed(ctx)).filter((m) => m === id).length
      const again = (repeat.data as Rec | undefined)?.id
      return { ok: is2xx(first.status) && is2xx(repeat.status) && again === id && count === 1, sent: `the same create_message twice: ${first.sent}`, expected: `HTTP 2xx twice, the same message ${id}, listed once`, actual: `HTTP ${first.status} then ${repeat.status}, ids ${id} and ${again}, listed ${count} time(s)`, hint: 'look the object_id up before creating: Fin retries with the same object_id' }
    }
  },
  {
    id: 'message.idempotent-concurrent',
    severity: 'error',
    why: "Fin's retries and a poll racing a webhook sync can send one create twice at once; object_id deduplicates (reference FAQ)",
    name: '10 identical create_message at once store one message',
    async run (ctx) {
      const input = reply(ctx, `<p>${TEST_DATA_MARK} burst</p>`)
      const burst = await Promise.all(Array.from({ length: 10 }, () => ctx.call('createMessage', input)))
      const answeredIds = new Set(burst.map((r) => (r.data as Rec | undefined)?.id))
      const statuses = [...new Set(burst.map((r) => r.status))]
      const list = await listed(ctx)
      const stored = Array.isArray(list.data) ? (list.data as Rec[]).filter((m) => String(m?.body ?? '').includes('burst')).length : -1
      const first = [...answeredIds][0]
      if (answeredIds.size === 1 && typeof first === 'string') ctx.messageIds.push(first)
      return { ok: answeredIds.size === 1 && stored === 1 && statuses.every(is2xx), sent: `10 times at once: ${burst[0]!.sent}`, expected: 'HTTP 2xx each time, one id, one message stored', actual: `HTTP ${statuses.join('/')}, ${answeredIds.size} id(s), ${stored} stored`, hint: 'make object_id unique in storage (a unique index or a lock), not a look-up then an insert' }
    }
  },
  {
    id: 'object-id.conflict',
    severity: 'error',
    lesser: 'warning',
    why: 'the reference is silent on an object_id reused across conversations and Fin never does it (its object_ids are Intercom\'s ids): 409 is this project\'s choice (a warning); a 5xx is an error',
    name: 'an object_id already used in another conversation is refused with 409 (this project\'s choice)',
    async run (ctx) {
      const user = ctx.need(ctx.user, 'a user')
      const input = reply(ctx, `<p>${TEST_DATA_MARK} first use</p>`)
      const objectId = input.object_id as string
      const first = await ctx.call('createMessage', input)
      const other = await ctx.call('createConversation', ctx.posts
        ? { user: { id: user.id, user_type: 'end_user' }, title: `${TEST_DATA_MARK} second conversation`, object_id: ctx.mark('conversation'), initial_message: { message_type: 'comment', body: `<p>${TEST_DATA_MARK} second</p>`, visibility: 'public', object_id: ctx.mark('message'), author: { id: user.id, user_type: 'end_user' } } }
        : { user_id: user.id, title: `${TEST_DATA_MARK} second conversation`, object_id: ctx.mark('conversation'), initial_message: { message_type: 'comment', body: `<p>${TEST_DATA_MARK} second</p>`, visibility: 'public', object_id: ctx.mark('message'), author: { id: user.id, user_type: 'end_user' } } })
      const otherId = (other.data as Rec | undefined)?.conversation?.id
      if (!is2xx(first.status) || typeof otherId !== 'string') ctx.need(undefined, 'a message and a second conversation')
      if (typeof (first.data as Rec | undefined)?.id === 'string') ctx.messageIds.push((first.data as Rec).id)
      const reuse = await ctx.call('createMessage', { ...reply(ctx, `<p>${TEST_DATA_MARK} reused</p>`), conversation_id: otherId, object_id: objectId })
      return { ok: reuse.status === 409, sent: reuse.sent, expected: `HTTP 409: object_id ${objectId} already names a message of conversation ${ctx.conversationId}`, actual: answered(reuse), hint: 'a choice, not a rule of the API: Fin never reuses an object_id in another conversation', ...lighter(reuse) }
    }
  },
  {
    id: 'conversation.handover',
    severity: 'error',
    why: 'Fin hands over with update_conversation and assignee_id null (reference: updateConversation, FAQ): refused, no human ever joins',
    name: 'update_conversation with assignee_id null hands over: 200, nobody assigned',
    async run (ctx) {
      const conversationId = ctx.need(ctx.conversationId, 'a conversation')
      const agent = ctx.need(ctx.agent, 'an agent')
      const assign = await ctx.call('updateConversation', { conversation_id: conversationId, assignee_id: agent.id })
      const assigned = (assign.data as Rec | undefined)?.assignee?.id
      const res = await ctx.call('updateConversation', { conversation_id: conversationId, assignee_id: null })
      const after = await ctx.call('getConversation', { conversation_id: conversationId })
      const assignee = (after.data as Rec | undefined)?.assignee
      const ok = assign.status === 200 && assigned === agent.id && res.status === 200 && after.status === 200 && (assignee === undefined || assignee === null)
      return { ok, sent: `assignee_id ${agent.id}, then ${res.sent}`, expected: `HTTP 200, assigned to ${agent.id}; then HTTP 200 and no assignee`, actual: `assign: ${assign.status === 200 ? `assignee ${JSON.stringify(assigned)}` : answered(assign)}; handover: ${res.status === 200 ? `assignee ${JSON.stringify(assignee)}` : answered(res)}`, hint: 'assignee_id null is how Fin hands a conversation to a human: accept null and unassign' }
    }
  },
  {
    id: 'message.empty-refused',
    severity: 'error',
    why: 'a message needs a body, an attachment or both: a completely empty one is not allowed (reference: createMessage, FAQ)',
    name: 'a message without body or attachment is refused with a 4xx',
    async run (ctx) {
      const res = await ctx.call('createMessage', reply(ctx, '', { attachments: [] }))
      return { ok: is4xx(res.status), sent: res.sent, expected: 'HTTP 4xx', actual: answered(res) }
    }
  },
  {
    id: 'message.attachment-only',
    severity: 'error',
    why: 'a message may be attachments only, body null or "" (reference FAQ): Fin sends them',
    name: 'a message with an attachment and no body is accepted',
    async run (ctx) {
      const res = await ctx.call('createMessage', reply(ctx, ctx.posts ? null : '', { attachments: [{ url: 'https://example.invalid/fin-helpdesk-check.pdf', filetype: 'pdf', filename: `${TEST_DATA_MARK} file.pdf` }] }))
      if (is2xx(res.status) && typeof (res.data as Rec | undefined)?.id === 'string') ctx.messageIds.push((res.data as Rec).id)
      return { ok: is2xx(res.status), sent: res.sent, expected: 'HTTP 201 (or 200)', actual: answered(res), hint: 'a message needs a body, at least one attachment, or both' }
    }
  },
  {
    id: 'message.https-attachments',
    severity: 'error',
    why: 'an attachment url must be HTTPS (reference: Attachment.url)',
    name: 'an attachment whose url is not https is refused with a 4xx',
    async run (ctx) {
      const res = await ctx.call('createMessage', reply(ctx, `<p>${TEST_DATA_MARK} http file</p>`, { attachments: [{ url: 'http://example.invalid/plain.pdf', filetype: 'pdf', filename: 'plain.pdf' }] }))
      return { ok: is4xx(res.status), sent: res.sent, expected: 'HTTP 4xx', actual: answered(res), hint: 'Fin requires https attachment URLs' }
    }
  },
  sanitizeCheck('sanitize.script', 'a <script> in a message body is removed', 'no <script> in the stored body',
    (body) => (/<script/i.test(body) ? 'a <script> element is still there' : undefined)),
  sanitizeCheck('sanitize.event-attributes', 'event attributes (onerror=…) in a message body are removed', 'no on…= attribute in the stored body',
    (body) => (/<[^>]*\son[a-z]+\s*=/i.test(body) ? 'an event attribute is still there' : undefined)),
  sanitizeCheck('sanitize.javascript-urls', 'javascript: URLs in a message body are removed', 'no javascript: URL in the stored body',
    (body) => (/javascript:/i.test(body) ? 'a javascript: URL is still there' : undefined)),
  sanitizeCheck('sanitize.headings', 'h3-h6 in a message body are stored as h2', '<h2>Third level</h2> in the stored body, no <h3>',
    (body) => (/<h[3-6]/i.test(body) ? 'an <h3> is still there' : /<h2[^>]*>\s*Third level\s*<\/h2>/i.test(body) ? undefined : 'the heading is gone'),
    'Fin itself shows h3-h6 as h2 (reference: MessageBodyHtml): storing them as h2, so the helpdesk shows what Fin shows, is this project\'s choice; a 5xx on it is an error')
]
