import t from 'tap'
import { buildApp, FIN_AGENT } from '../../fixtures/app.js'
import { assertError, client, conversationInput, VARIANTS, type Variant } from '../../fixtures/client.js'
import type { TestApp } from '../../fixtures/app.js'

async function setup (t: Parameters<typeof buildApp>[0], variant: Variant, options = {}) {
  const built: TestApp = await buildApp(t, options)
  const op = client(built.call, variant)
  const user = (await op('createUser', { name: 'Jane', email: 'jane@example.com' })).data
  const { conversation, message } = (await op('createConversation', conversationInput(variant, user.id))).data
  return { ...built, op, user, conversation, first: message }
}

const finReply = (conversationId: string, extra: Record<string, unknown> = {}) => ({
  conversation_id: conversationId,
  message_type: 'comment',
  body: '<p>Our Enterprise plan includes SSO.</p>',
  author: { id: FIN_AGENT.id, user_type: 'agent' },
  visibility: 'public',
  ...extra
})

for (const variant of VARIANTS) {
  t.test(`${variant}: create_message answers 201 with the message, authored by the agent`, async (t) => {
    const { app, op, conversation } = await setup(t, variant)
    const seen: unknown[] = []
    app.fin.events.on('message.created', (payload) => { seen.push(payload) })
    const created = await op('createMessage', finReply(conversation.id, { object_id: 'ic_m2', created_at: '2025-10-27T14:35:00.000Z' }))
    t.equal(created.status, 201)
    t.same(created.data, {
      id: created.data.id,
      conversation_id: conversation.id,
      message_type: 'comment',
      body: '<p>Our Enterprise plan includes SSO.</p>',
      author: { id: FIN_AGENT.id, user_type: 'agent', name: 'Fin', email: 'fin@example.com', photo_url: FIN_AGENT.photo_url, alias: 'Fin' },
      visibility: 'public',
      created_at: '2025-10-27T14:35:00.000Z',
      attachments: []
    })
    t.match(seen, [{ integration: 'default', message: { id: created.data.id } }])
  })

  t.test(`${variant}: get_messages is oldest first; after_id is strictly after; unknown after_id is everything`, async (t) => {
    const { op, conversation, first } = await setup(t, variant)
    const ids = [first.id]
    for (let i = 0; i < 5; i++) ids.push((await op('createMessage', finReply(conversation.id, { body: `<p>${i}</p>` }))).data.id)
    const all = await op('getMessages', { conversation_id: conversation.id })
    t.equal(all.status, 200)
    t.same(all.data.map((m: { id: string }) => m.id), ids)
    t.same((await op('getMessages', { conversation_id: conversation.id, after_id: ids[2] })).data.map((m: { id: string }) => m.id), ids.slice(3))
    t.same((await op('getMessages', { conversation_id: conversation.id, after_id: ids[5] })).data, [])
    t.same((await op('getMessages', { conversation_id: conversation.id, after_id: 'msg_unknown' })).data.map((m: { id: string }) => m.id), ids)
    t.same((await op('getMessages', { conversation_id: conversation.id, after_id: '' })).data.length, 6)
    assertError(t, variant, (await op('getMessages', { conversation_id: 'ghost' })).res, 404, 'FIN_ERR_CONVERSATION_NOT_FOUND')
    assertError(t, variant, (await op('getMessages', {})).res, 400, 'FIN_ERR_VALIDATION', /conversation_id/)
  })

  t.test(`${variant}: a body or at least one https attachment`, async (t) => {
    const { op, conversation } = await setup(t, variant)
    const attachment = { url: 'https://example.com/files/pricing.pdf', filetype: 'pdf', filename: 'Pricing Guide 2025' }
    const onlyFile = await op('createMessage', finReply(conversation.id, { body: null, attachments: [attachment] }))
    t.equal(onlyFile.status, 201)
    t.equal(onlyFile.data.body, '', 'attachment-only message: body ""')
    t.same(onlyFile.data.attachments, [attachment])
    const emptyBodyFile = await op('createMessage', finReply(conversation.id, { body: '', attachments: [attachment] }))
    t.equal(emptyBodyFile.status, 201)
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { body: '' }))).res, 400, 'FIN_ERR_EMPTY_MESSAGE')
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { body: null, attachments: [] }))).res, 400, 'FIN_ERR_EMPTY_MESSAGE')
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { body: '<script>alert(1)</script>' }))).res, 400, 'FIN_ERR_EMPTY_MESSAGE', /sanitized/)
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { attachments: [{ ...attachment, url: 'http://example.com/a.pdf' }] }))).res, 400, 'FIN_ERR_VALIDATION', /attachments\/0\/url/)
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { attachments: [{ filetype: 'pdf' }] }))).res, 400, 'FIN_ERR_VALIDATION', /url/)
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { message_type: 'note' }))).res, 400, 'FIN_ERR_VALIDATION', /message_type/)
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { visibility: 'internal' }))).res, 400, 'FIN_ERR_VALIDATION', /visibility/)
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { author: { id: FIN_AGENT.id, user_type: 'bot' } }))).res, 400, 'FIN_ERR_VALIDATION', /user_type/)
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { created_at: 'last tuesday' }))).res, 400, 'FIN_ERR_VALIDATION', /created_at/)
    t.equal((await op('getMessages', { conversation_id: conversation.id })).data.length, 3, 'only the two valid messages were added')
  })

  t.test(`${variant}: unknown conversation or author is 404 and writes nothing`, async (t) => {
    const { op, conversation, user } = await setup(t, variant)
    assertError(t, variant, (await op('createMessage', finReply('ghost', { object_id: 'o1' }))).res, 404, 'FIN_ERR_CONVERSATION_NOT_FOUND')
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { object_id: 'o1', author: { id: 'ghost', user_type: 'agent' } }))).res, 404, 'FIN_ERR_AGENT_NOT_FOUND')
    assertError(t, variant, (await op('createMessage', finReply(conversation.id, { object_id: 'o1', author: { id: 'ghost', user_type: 'end_user' } }))).res, 404, 'FIN_ERR_USER_NOT_FOUND')
    const fromUser = await op('createMessage', finReply(conversation.id, { object_id: 'o1', author: { id: user.id, user_type: 'end_user', name: 'ignored' } }))
    t.equal(fromUser.status, 201, 'object_id o1 was never taken')
    t.match(fromUser.data.author, { id: user.id, user_type: 'end_user', name: 'Jane', email: 'jane@example.com' })
  })

  t.test(`${variant}: create_message is idempotent on object_id, also 20 at once`, async (t) => {
    const { app, op, conversation } = await setup(t, variant)
    let events = 0
    app.fin.events.on('message.created', () => { events++ })
    const first = await op('createMessage', finReply(conversation.id, { object_id: 'ic_1' }))
    const again = await op('createMessage', finReply(conversation.id, { object_id: 'ic_1', body: '<p>retry with other text</p>' }))
    t.equal(again.status, 201)
    t.same(again.data, first.data)
    const burst = await Promise.all(Array.from({ length: 20 }, () => op('createMessage', finReply(conversation.id, { object_id: 'ic_burst' }))))
    t.same(burst.map((r) => r.status), Array(20).fill(201))
    t.equal(new Set(burst.map((r) => r.data.id)).size, 1)
    t.equal((await op('getMessages', { conversation_id: conversation.id })).data.length, 3)
    t.equal(events, 2)
  })

  t.test(`${variant}: an object_id used in another conversation is 409 and reveals nothing of it`, async (t) => {
    const { op, user, conversation } = await setup(t, variant)
    const other = (await op('createConversation', conversationInput(variant, user.id))).data.conversation
    const secret = await op('createMessage', finReply(conversation.id, { object_id: 'ic_shared', body: '<p>secret plan</p>' }))
    t.equal(secret.status, 201)
    const stolen = await op('createMessage', finReply(other.id, { object_id: 'ic_shared' }))
    assertError(t, variant, stolen.res, 409, 'FIN_ERR_OBJECT_ID_CONFLICT')
    t.notMatch(stolen.res.body, /secret|msg_|conv_/, 'nothing of the other message or conversation in the answer')
    const unknown = await op('createMessage', finReply('missing', { object_id: 'ic_shared' }))
    assertError(t, variant, unknown.res, 404, 'FIN_ERR_CONVERSATION_NOT_FOUND')
    t.equal((await op('getMessages', { conversation_id: other.id })).data.length, 1, 'nothing written')
    const retry = await op('createMessage', finReply(conversation.id, { object_id: 'ic_shared' }))
    t.equal(retry.status, 201)
    t.same(retry.data, secret.data, 'a retry in the same conversation still answers the first message')
  })

  t.test(`${variant}: bodies are sanitized to Fin's HTML`, async (t) => {
    const { op, conversation } = await setup(t, variant)
    const created = await op('createMessage', finReply(conversation.id, {
      body: '<h3 onclick="x()">Plans</h3><p style="color:red">See <a href="javascript:alert(1)">this</a> and <a href="https://example.com">that</a></p><script>steal()</script><img src="https://example.com/a.png" onerror="x()">'
    }))
    t.equal(created.data.body, '<h2>Plans</h2><p>See <a>this</a> and <a href="https://example.com">that</a></p><img src="https://example.com/a.png">')
  })
}

t.test('sanitize: passthrough and a custom function', async (t) => {
  const raw = '<div class="x">kept <em>as is</em></div>'
  const passthrough = await setup(t, 'standard', { sanitize: 'passthrough' })
  t.equal((await passthrough.op('createMessage', finReply(passthrough.conversation.id, { body: raw }))).data.body, raw)
  const custom = await setup(t, 'standard', { sanitize: (html: string) => html.toUpperCase() })
  t.equal((await custom.op('createMessage', finReply(custom.conversation.id, { body: raw }))).data.body, raw.toUpperCase())
})

for (const variant of VARIANTS) {
  t.test(`${variant}: an author whose email or photo is not well-formed is still served (no 500)`, async (t) => {
    const { op, conversation } = await setup(t, variant)
    const odd = (await op('createUser', { name: 'Odd', email: 'not an email "quoted"' })).data
    if (variant === 'posts-only') {
      await op('updateConversation', { conversation_id: conversation.id, user: { id: conversation.user.id, photo_url: 'not a url' } })
    }
    const created = await op('createMessage', finReply(conversation.id, { author: { id: odd.id, user_type: 'end_user' } }))
    t.equal(created.status, 201)
    t.match(created.data.author, { id: odd.id, email: 'not an email "quoted"' })
    const listed = await op('getMessages', { conversation_id: conversation.id })
    t.equal(listed.status, 200)
    t.equal(listed.data.length, 2)
  })
}
