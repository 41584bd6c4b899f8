// The operations and the objects they answer: create, read back, update, list in order.
import { Type } from '@sinclair/typebox'
import { Agent, Conversation, EndUser, Message, PostsOnlyAgent, PostsOnlyMessage } from '../../schemas/models.js'
import { answered, is2xx, TEST_DATA_MARK, verdict, type CheckContext, type CheckDefinition, type Rec } from './context.js'

export const messageSchema = (ctx: CheckContext) => (ctx.posts ? PostsOnlyMessage : Message)

/** A reply by Fin's agent, marked as test data. */
export function reply (ctx: CheckContext, body: string | null, extra: Rec = {}): Rec {
  const agent = ctx.need(ctx.agent, 'an agent (get_agents)')
  return { conversation_id: ctx.need(ctx.conversationId, 'a conversation'), message_type: 'comment', body, author: { id: agent.id, user_type: 'agent' }, visibility: 'public', object_id: ctx.mark('message'), ...extra }
}

export const objectChecks: CheckDefinition[] = [
  {
    id: 'agents.list',
    severity: 'error',
    why: 'Fin lists the agents at setup to pick the one it writes as; POST-only agents require id, user_type, name and email (reference: getAgents)',
    name: 'get_agents lists the agents, with the fields Fin needs',
    async run (ctx) {
      const res = await ctx.call('getAgents')
      const expected = 'HTTP 200 and a list of at least one agent'
      if (res.status !== 200) return { ok: false, sent: res.sent, expected, actual: answered(res) }
      const errors = ctx.shape('agent', Type.Array(ctx.posts ? PostsOnlyAgent : Agent), res.data, res.sent, 'the list')
      const list = Array.isArray(res.data) ? res.data as Rec[] : []
      ctx.agent = list.find((a) => typeof a?.id === 'string')
      return { sent: res.sent, expected, ...verdict(errors, list.length === 0 ? 'an empty list' : undefined), hint: list.length === 0 ? 'Fin picks the agent it writes as from this list at setup' : undefined }
    }
  },
  {
    id: 'user.create',
    severity: 'error',
    why: "Fin creates the Messenger's end-user with create_user (reference: createUser answers 201 and the EndUser)",
    name: 'create_user creates the end-user and answers it',
    async run (ctx) {
      const input = { name: `${TEST_DATA_MARK} Test User`, email: `fin-helpdesk-check+${ctx.run}@example.invalid`, object_id: ctx.mark('user') }
      const res = await ctx.call('createUser', input)
      const expected = 'HTTP 201 (or 200) and the new end-user with its id and the name sent'
      if (!is2xx(res.status)) return { ok: false, sent: res.sent, expected, actual: answered(res) }
      const errors = ctx.shape('user', EndUser, res.data, res.sent, 'the user', { email: input.email })
      const user = res.data as Rec | undefined
      if (errors.length === 0 && typeof user?.id === 'string') ctx.user = { ...user, input }
      return { sent: res.sent, expected, ...verdict(errors, user?.name === input.name ? undefined : `name ${JSON.stringify(user?.name)}`) }
    }
  },
  {
    id: 'user.idempotent',
    severity: 'error',
    why: "object_id is Intercom's id, the reference's way to deduplicate; Fin retries a failed sync job up to 5 times (reference FAQ)",
    name: 'create_user with an object_id already used answers the same user',
    async run (ctx) {
      const user = ctx.need(ctx.user, 'a user (create_user)')
      const res = await ctx.call('createUser', user.input)
      const id = (res.data as Rec | undefined)?.id
      return { ok: is2xx(res.status) && id === user.id, sent: `the same create_user again: ${res.sent}`, expected: `HTTP 2xx and the same user ${user.id}`, actual: is2xx(res.status) ? `user ${id}` : answered(res), hint: 'look the object_id up before creating: Fin retries with the same object_id' }
    }
  },
  {
    id: 'user.get',
    severity: 'error',
    why: 'Fin reads the end-user on every sync (reference: getUser)',
    name: 'get_user returns the user created',
    async run (ctx) {
      const user = ctx.need(ctx.user, 'a user (create_user)')
      const res = await ctx.call('getUser', { user_id: user.id })
      const expected = `HTTP 200 and user ${user.id} with the email sent`
      if (res.status !== 200) return { ok: false, sent: res.sent, expected, actual: answered(res) }
      const errors = ctx.shape('user', EndUser, res.data, res.sent, 'the user', { email: user.input.email, name: user.input.name })
      const got = res.data as Rec | undefined
      return { sent: res.sent, expected, ...verdict(errors, got?.id === user.id && got?.email === user.input.email ? undefined : `id ${JSON.stringify(got?.id)}, email ${JSON.stringify(got?.email)}`) }
    }
  },
  {
    id: 'user.update',
    severity: 'error',
    why: 'Fin writes end-user attributes with update_user (reference: updateUser)',
    name: 'update_user stores the attributes sent and answers the user',
    async run (ctx) {
      const user = ctx.need(ctx.user, 'a user (create_user)')
      const res = await ctx.call('updateUser', { user_id: user.id, attributes: { fin_check: ctx.run } })
      const expected = `HTTP 200 and the user with attributes.fin_check = "${ctx.run}"`
      if (res.status !== 200) return { ok: false, sent: res.sent, expected, actual: answered(res) }
      const errors = ctx.shape('user', EndUser, res.data, res.sent, 'the user')
      const attributes = (res.data as Rec | undefined)?.attributes
      return { sent: res.sent, expected, ...verdict(errors, attributes?.fin_check === ctx.run ? undefined : `attributes ${JSON.stringify(attributes)}`) }
    }
  },
  {
    id: 'conversation.create',
    severity: 'error',
    why: 'the answer must carry the new conversation and its message, for Fin to map them (reference: createConversation)',
    name: 'create_conversation answers { conversation, message }',
    async run (ctx) {
      const user = ctx.need(ctx.user, 'a user (create_user)')
      const created = await ctx.once('conversation', async () => {
        const message = { message_type: 'comment', body: `<p>${TEST_DATA_MARK} first message</p>`, visibility: 'public', object_id: ctx.mark('message'), author: { id: user.id, user_type: 'end_user' } }
        const input = ctx.posts
          ? { user: { id: user.id, user_type: 'end_user', name: user.name, email: user.email }, title: `${TEST_DATA_MARK} conversation`, object_id: ctx.mark('conversation'), initial_message: message }
          : { user_id: user.id, title: `${TEST_DATA_MARK} conversation`, object_id: ctx.mark('conversation'), initial_message: message }
        return { input, res: await ctx.call('createConversation', input) }
      })
      const { res, input } = created
      const expected = 'HTTP 201 (or 200) and { conversation, message }, the conversation with its end-user'
      if (!is2xx(res.status)) return { ok: false, sent: res.sent, expected, actual: answered(res) }
      const data = res.data as Rec | undefined
      const errors = ctx.shape('conversation', Type.Object({ conversation: Conversation, message: Type.Unknown() }), data, res.sent, 'the answer')
      errors.push(...ctx.shape('message', messageSchema(ctx), data?.message, res.sent, 'message'))
      if (errors.length === 0 && typeof data?.conversation?.id === 'string') {
        ctx.conversationId = data.conversation.id
        ctx.messageIds.push(data.message.id)
        ctx.conversation = { id: data.conversation.id, input }
      }
      return { sent: res.sent, expected, ...verdict(errors, undefined) }
    }
  },
  {
    id: 'conversation.idempotent',
    severity: 'error',
    why: "object_id is Intercom's id, the reference's way to deduplicate; Fin retries a failed sync job up to 5 times (reference FAQ)",
    name: 'create_conversation with an object_id already used answers the same conversation',
    async run (ctx) {
      const conversation = ctx.need(ctx.conversation, 'a conversation (create_conversation)')
      const res = await ctx.call('createConversation', conversation.input)
      const data = res.data as Rec | undefined
      const ok = is2xx(res.status) && data?.conversation?.id === conversation.id
      // The repeat must not add its initial message again.
      return { ok, sent: `the same create_conversation again: ${res.sent}`, expected: `HTTP 2xx and the same conversation ${conversation.id}`, actual: is2xx(res.status) ? `conversation ${data?.conversation?.id}` : answered(res), hint: 'look the object_id up before creating: Fin retries with the same object_id' }
    }
  },
  {
    id: 'conversation.get',
    severity: 'error',
    why: 'Fin reads the conversation on every sync; id, status and user are required (reference: getConversation)',
    name: 'get_conversation returns the conversation with its end-user',
    async run (ctx) {
      const conversation = ctx.need(ctx.conversation, 'a conversation (create_conversation)')
      const user = ctx.need(ctx.user, 'a user')
      const res = await ctx.call('getConversation', { conversation_id: conversation.id })
      const expected = `HTTP 200 and conversation ${conversation.id} of user ${user.id}`
      if (res.status !== 200) return { ok: false, sent: res.sent, expected, actual: answered(res) }
      const got = res.data as Rec | undefined
      const errors = ctx.shape('conversation', Conversation, got, res.sent, 'the conversation', { title: conversation.input.title })
      return { sent: res.sent, expected, ...verdict(errors, got?.id === conversation.id && got?.user?.id === user.id ? undefined : `id ${JSON.stringify(got?.id)}, user ${JSON.stringify(got?.user?.id)}`) }
    }
  },
  {
    id: 'message.create',
    severity: 'error',
    why: "Fin's replies reach the helpdesk through create_message (reference: createMessage answers 201 and the Message)",
    name: 'create_message stores Fin\'s replies and answers each message',
    async run (ctx) {
      const expected = 'HTTP 201 (or 200) and the new message, three times'
      let sent = ''
      for (let i = 0; i < 3; i++) {
        const res = await ctx.call('createMessage', reply(ctx, `<p>${TEST_DATA_MARK} reply ${i}</p>`))
        sent = res.sent
        if (!is2xx(res.status)) return { ok: false, sent, expected, actual: answered(res) }
        const errors = ctx.shape('message', messageSchema(ctx), res.data, res.sent, 'the message')
        if (errors.length > 0) return { sent, expected, ...verdict(errors, undefined) }
        ctx.messageIds.push((res.data as Rec).id)
      }
      return { ok: true, sent, expected, actual: 'as expected' }
    }
  },
  {
    id: 'messages.order',
    severity: 'error',
    why: 'Fin adds the messages it has not seen in the order listed and sends the last as after_id (reference: getMessages)',
    name: 'get_messages lists every message of the conversation, oldest first',
    async run (ctx) {
      const conversationId = ctx.need(ctx.conversationId, 'a conversation')
      if (ctx.messageIds.length < 4) ctx.need(undefined, 'the messages of message.create')
      const res = await ctx.call('getMessages', { conversation_id: conversationId })
      const expected = `HTTP 200 and the messages ${ctx.messageIds.join(', ')} in that order`
      if (res.status !== 200) return { ok: false, sent: res.sent, expected, actual: answered(res) }
      const errors = ctx.shape('message', Type.Array(messageSchema(ctx)), res.data, res.sent, 'the list')
      const got = Array.isArray(res.data) ? (res.data as Rec[]).map((m) => m?.id) : []
      const same = JSON.stringify(got) === JSON.stringify(ctx.messageIds)
      const reversed = JSON.stringify([...got].reverse()) === JSON.stringify(ctx.messageIds)
      return { sent: res.sent, expected, ...verdict(errors, same ? undefined : `${got.join(', ')}`), hint: reversed ? 'newest first: Fin needs the oldest first (creation order)' : undefined }
    }
  }
]
