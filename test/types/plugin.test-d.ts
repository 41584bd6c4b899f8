// Compile-time checks of the public types (run by `tsc --noEmit`, not by tap): what must compile does, what must
// not is marked @ts-expect-error (tsc fails if such a line compiles).
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import finHelpdesk, { MemoryStorage, type FinStorage, type FinEventMap } from '../../lib/index.js'
import { FinUserNotFoundError } from '../../lib/errors.js'
import { MemoryReplayStore } from '../../lib/auth/signature.js'
import { type Conversation, type EndUser, type Message } from '../../lib/schemas/models.js'
import { SqliteStorage } from '../../lib/sqlite/index.js'

const app = Fastify()
await app.register(finHelpdesk, { prefix: '/api/fin', tokens: ['t'], storage: new MemoryStorage(), variant: 'posts-only' })
await app.register(finHelpdesk, { name: 'b', verifyToken: async (token, request) => token === request.headers['x-key'] })
await app.register(finHelpdesk, { tokens: 't', paths: { standard: { getUser: '/u' } }, rateLimit: false, sanitize: (html) => html })
// An ioredis client fits `signature.redis` and `rateLimit.redis`; a replay store is one method.
const redis = new Redis({ lazyConnect: true })
await app.register(finHelpdesk, { name: 'c', oauth: { clients: [{ id: 'fin', secret: 's'.repeat(32) }], signingSecret: 'x'.repeat(32) }, signature: { secrets: 'k', redis }, rateLimit: { redis } })
await app.register(finHelpdesk, { name: 'd', tokens: 't', signature: { secrets: ['k'], replayStore: new MemoryReplayStore() } })
// @ts-expect-error a replay store answers how long ago the key was first seen (undefined: now)
await app.register(finHelpdesk, { name: 'e', tokens: 't', signature: { secrets: ['k'], replayStore: { firstSeen: (key: string) => key } } })
// @ts-expect-error variant is one of three strings
await app.register(finHelpdesk, { tokens: ['t'], variant: 'graphql' })
// @ts-expect-error only operations can be renamed
await app.register(finHelpdesk, { tokens: ['t'], paths: { standard: { deleteUser: '/x' } } })
// @ts-expect-error a storage must implement the interface
await app.register(finHelpdesk, { tokens: ['t'], storage: { getUser: async () => null } })

export const seen: Array<[Conversation, string | null] | Message> = []
app.fin.events.on('conversation.handover', (payload) => { seen.push([payload.conversation, payload.previous_assignee_id]) })
app.fin.events.on('message.created', async ({ message }) => { seen.push(message) })
// @ts-expect-error unknown event names do not compile
app.fin.events.on('user.deleted', () => {})
// @ts-expect-error the payload is typed per event
app.fin.events.on('user.created', ({ conversation }) => conversation)
const created: FinEventMap['user.created'] = { integration: 'default', user: { id: 'u', user_type: 'end_user' } }
// @ts-expect-error user_type is 'end_user' for an EndUser
const wrong: EndUser = { id: 'u', user_type: 'agent' }

const storage: FinStorage = new SqliteStorage({ path: ':memory:' })
const user: EndUser | null = await storage.getUser('u')
const notFound = new FinUserNotFoundError('u')
const code: 'FIN_ERR_USER_NOT_FOUND' = notFound.code
const status: 404 = notFound.statusCode
// @ts-expect-error the message takes the user id
export const noArgs = new FinUserNotFoundError()
export const values = [created, wrong, user, code, status]

// The write API (issue #22): the Fin API's request bodies as inputs, the API objects as results.
export const written: Promise<Message> = app.fin.createMessage('conv', { author: { id: 'a', user_type: 'agent' }, body: '<p>x</p>' })
export const resolved: Promise<Conversation> = app.fin.get('b').updateConversation('conv', { status: 'resolved', assignee_id: null }, { notifyFin: false })
export const typing: Promise<boolean> = app.fin.typing('conv', 'agent_sarah', { integration: 'b' })
export const updatedUser: Promise<EndUser> = app.fin.updateUser('usr', { attributes: { plan: 'pro' } })
// @ts-expect-error a message's author is required, as in create_message
app.fin.createMessage('conv', { body: 'x' })
// @ts-expect-error status is one of the conversation statuses
app.fin.updateConversation('conv', { status: 'archived' })
// notifyFin joins the host's transaction (a better-sqlite3 Database, a pg client)
export const inTransaction: Promise<void> = app.notifyFin('conv', { transaction: new SqliteStorage({ path: ':memory:' }).db })
