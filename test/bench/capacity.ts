// Capacity: how many concurrent Fin conversations one core carries. The server CPU of each call Fin makes is
// measured (the plugin on SQLite with auth and both limits, as a host runs it); the calls per end-user message are
// a model, stated here and printed with the result, so a reader can redo the sum with their own.
import { join } from 'node:path'
import { seed, SqliteStorage } from './apps.js'
import { alternate, fixed, startServer, type Contender, type Loader } from './harness.js'

/** Fin's calls for one end-user message: the sync the helpdesk's webhook starts, then Fin's answer. */
export const MODEL: Array<{ call: string, why: string }> = [
  { call: 'get_conversation', why: 'the helpdesk\'s webhook starts a sync: the conversation first' },
  { call: 'get_messages', why: 'then the messages after the last one Fin has (after_id: one new message)' },
  { call: 'get_user', why: 'the end-user, for the answer' },
  { call: 'create_message', why: 'Fin\'s answer' },
  { call: 'update_conversation', why: 'status, attributes, or a handover' }
]
/** A brisk chat: one end-user message every 30 s in each active conversation (FIN_BENCH_MESSAGE_EVERY, seconds). */
export const MESSAGE_EVERY = Number(process.env.FIN_BENCH_MESSAGE_EVERY ?? 30)

/** Rounds to two significant digits: a capacity is an order of size, not a count. */
const about = (value: number): string => fixed(Number(value.toPrecision(2)))

export async function capacity (loader: Loader, dir: string, rounds: number): Promise<string> {
  const path = join(dir, 'capacity.db')
  const storage = new SqliteStorage({ path })
  const ids = await seed(storage)
  const conversation = (await storage.getConversation(ids.conversationId))!
  const messages = (await storage.listMessages(ids.conversationId))!
  await storage.close()
  const server = await startServer('plugin-sqlite', { path, ids })
  try {
    const specs: Record<string, Contender['spec']> = {
      get_conversation: { path: `/conversation?conversation_id=${ids.conversationId}` },
      get_messages: { path: `/messages?conversation_id=${ids.conversationId}&after_id=${messages.at(-2)!.id}` },
      get_user: { path: `/user?user_id=${conversation.user.id}` },
      create_message: { path: '/messages', post: { conversationId: ids.postConversationId, prefix: 'capacity' } },
      update_conversation: { path: '/conversation', send: { method: 'PUT', body: { conversation_id: ids.postConversationId, status: 'open', attributes: { priority: 'High' } } } }
    }
    const figures = await alternate(loader, MODEL.map(({ call }) => ({ name: call, server, spec: specs[call]! })), rounds)
    const rows = MODEL.map(({ call, why }) => {
      const f = figures.get(call)!
      const spec = specs[call]!
      const request = `${spec.send?.method ?? (spec.post === undefined ? 'GET' : 'POST')} ${spec.path.split('?')[0]}`
      return `| ${call} | ${why} | \`${request}\` | ${fixed(f.cpu.median, 1)} (${fixed(f.cpu.min, 1)}-${fixed(f.cpu.max, 1)}) | ${fixed(f.rps.median)}${f.failures > 0 ? ` (${f.failures} failed!)` : ''} |`
    })
    const perMessage = MODEL.reduce((sum, { call }) => sum + figures.get(call)!.cpu.median, 0)
    const messagesPerSecond = 1e6 / perMessage
    const conversations = messagesPerSecond * MESSAGE_EVERY
    return [
      `**Capacity: one core carries about ${about(conversations)} concurrent Fin conversations** at one end-user message every ` +
        `${MESSAGE_EVERY} s each (${fixed(perMessage)} µs of server CPU per end-user message, so about ${about(messagesPerSecond)} messages a second ` +
        `per core at full load; plan for half: about ${about(conversations / 2)}).`,
      '',
      '| Fin\'s call, per end-user message | why | request | server CPU µs/request, median (min-max) | req/s, median |',
      '|---|---|---|---|---|',
      ...rows,
      `| **one end-user message** | the ${MODEL.length} calls above | | **${fixed(perMessage, 1)}** | |`,
      '',
      `The model: each end-user message makes Fin call the helpdesk ${MODEL.length} times (above); one message every ${MESSAGE_EVERY} s per ` +
        'active conversation (`FIN_BENCH_MESSAGE_EVERY`). Measured on the plugin with SQLite (group commit on), auth and both limits, the ' +
        'same server for every call, rounds alternating. Not counted: the host\'s own write of the end-user\'s message, the webhook POST to ' +
        'Fin (one outbound request per message), and logging (the example app logs one line per request: compare its rows with the plugin\'s ' +
        'in the SQLite tables below). Conversations waiting on the end-user cost nothing between messages.'
    ].join('\n')
  } finally {
    await server.close()
  }
}
