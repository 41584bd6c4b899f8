import { randomUUID } from 'node:crypto'
import { FinClient, type FinClientOptions, type FinResponse } from './client.js'
import { FinWebhookReceiver, type WebhookEvent } from './webhook-receiver.js'

export type { WebhookEvent }

type Rec = Record<string, any>

export interface FinSimulatorOptions extends FinClientOptions {
  /** The agent Fin writes as. @default the agent named "Fin" from get_agents, else the first */
  agentId?: string
  /** Fin's side of the webhook: where the helpdesk sends its events (point notify's baseUrl at `webhookBaseUrl`). */
  webhook?: { integrationId: string, webhookKey: string, port?: number }
  /** Attempts per create when the helpdesk fails (5xx, network), always with the same object_id. @default 3 */
  createAttempts?: number
}

/** A message as Fin keeps it. */
export interface TranscriptEntry {
  id: string
  body: string | null
  author_id: string
  author_type: string
  visibility: string
}

export interface TranscriptDifference {
  kind: 'missing in helpdesk' | 'missing in Fin' | 'duplicated' | 'reordered' | 'changed'
  message_id: string
  detail: string
}

interface ConversationState {
  userId: string
  /** Confirmed by a sync, in the helpdesk's order. */
  synced: TranscriptEntry[]
  /** Written by Fin, not yet seen in a sync. */
  pending: TranscriptEntry[]
  queue: Promise<unknown>
}

export class FinSimulatorError extends Error {
  constructor (message: string, readonly response?: FinResponse) {
    super(message)
  }
}

/**
 * Plays Fin against a helpdesk: creates users, conversations and messages the way Fin does (object_ids, the
 * initial message, Fin's replies as its agent, retries with the same object_id), hands over, and runs Fin's sync
 * when the helpdesk's webhook arrives. Keeps Fin's transcript of each conversation and compares it with the
 * helpdesk's. See docs/testing-your-integration.md.
 */
export class FinSimulator {
  readonly client: FinClient
  /** Every webhook event received, in order. */
  readonly webhookEvents: WebhookEvent[] = []
  /** Problems seen while syncing (failed calls, refused webhooks). */
  readonly errors: string[] = []
  readonly #options: FinSimulatorOptions
  readonly #conversations = new Map<string, ConversationState>()
  #agent: Rec | undefined
  #receiver: FinWebhookReceiver | undefined
  #inFlight = 0

  constructor (options: FinSimulatorOptions) {
    this.#options = options
    this.client = new FinClient(options)
  }

  /** Base URL to configure as the helpdesk's notify `baseUrl` (available after `start()`). */
  get webhookBaseUrl (): string {
    if (this.#receiver === undefined) throw new Error('start() the simulator with webhook options first')
    return this.#receiver.url
  }

  /** Starts Fin's webhook server (when configured) on 127.0.0.1. */
  async start (): Promise<void> {
    const webhook = this.#options.webhook
    if (webhook === undefined || this.#receiver !== undefined) return
    this.#receiver = new FinWebhookReceiver({
      ...webhook,
      onRefused: (problem) => { this.errors.push(problem) },
      onEvent: (event) => {
        this.webhookEvents.push(event)
        // A sync event makes Fin pull; a typing event only shows the indicator.
        if (event.event_type === null && this.#conversations.has(event.conversation_id)) {
          this.sync(event.conversation_id).catch((err: Error) => this.errors.push(`sync of ${event.conversation_id}: ${err.message}`))
        }
      }
    })
    await this.#receiver.listen()
  }

  async close (): Promise<void> {
    await this.idle()
    await this.#receiver?.close()
  }

  /** The agent Fin writes as, from get_agents. */
  async agent (): Promise<Record<string, unknown>> {
    return this.#pickAgent()
  }

  async #pickAgent (): Promise<Rec> {
    if (this.#agent !== undefined) return this.#agent
    const res = await this.client.call('getAgents')
    if (res.status !== 200 || !Array.isArray(res.data)) throw new FinSimulatorError(`get_agents answered ${res.status}`, res)
    const agents = res.data as Rec[]
    const agent = agents.find((a) => a.id === this.#options.agentId) ?? (this.#options.agentId === undefined ? (agents.find((a) => a.name === 'Fin') ?? agents[0]) : undefined)
    if (agent === undefined) throw new FinSimulatorError('get_agents lists no agent for Fin to write as')
    this.#agent = agent
    return agent
  }

  /** A Fin Messenger user starts a conversation: create_user, then create_conversation with the first message. */
  async startConversation (input: { name: string, email?: string, body: string, title?: string }): Promise<{ conversationId: string, userId: string, messageId: string }> {
    const user = await this.#create('createUser', { name: input.name, email: input.email ?? null, object_id: objectId('user') })
    const userId = user.data.id as string
    const conversationInput = this.client.variant === 'standard'
      ? { user_id: userId, title: input.title ?? null, object_id: objectId('conversation'), initial_message: { message_type: 'comment', body: input.body, visibility: 'public', object_id: objectId('message'), author: { id: userId, user_type: 'end_user' } } }
      : { user: { id: userId, name: input.name, email: input.email, user_type: 'end_user' }, title: input.title ?? null, object_id: objectId('conversation'), initial_message: { message_type: 'comment', body: input.body, visibility: 'public', object_id: objectId('message'), author: { id: userId, user_type: 'end_user' } } }
    const created = await this.#create('createConversation', conversationInput)
    const { conversation, message } = created.data as { conversation: Rec, message: Rec }
    // Like every message Fin writes, the first one is confirmed by a sync: until then Fin knows no helpdesk message
    // to ask after (its first get_messages has the same parameters as the get_conversation before it).
    this.#conversations.set(conversation.id, { userId, synced: [], pending: [entry(message)], queue: Promise.resolve() })
    return { conversationId: conversation.id, userId, messageId: message.id }
  }

  /** The end-user writes in the Fin Messenger: Fin pushes it into the helpdesk. */
  userSays (conversationId: string, body: string): Promise<string> {
    const state = this.#state(conversationId)
    return this.#write(conversationId, { id: state.userId, user_type: 'end_user' }, body)
  }

  /** Fin answers, as the agent chosen at setup. */
  async finSays (conversationId: string, body: string): Promise<string> {
    const agent = await this.#pickAgent()
    return this.#write(conversationId, { id: agent.id, user_type: 'agent', name: agent.name, email: agent.email }, body)
  }

  /** Fin hands the conversation over to a human: update_conversation with assignee_id null. */
  handover (conversationId: string): Promise<FinResponse> {
    return this.#serial(conversationId, async () => {
      const res = await this.client.call('updateConversation', { conversation_id: conversationId, assignee_id: null })
      if (res.status !== 200) throw new FinSimulatorError(`handover answered ${res.status}`, res)
      return res
    })
  }

  /**
   * Fin's sync: the conversation, the messages after the last one it has, the user (its reads signed in one second,
   * as Fin's are: the same parameters give the same signature), then update_conversation.
   */
  sync (conversationId: string): Promise<void> {
    return this.#serial(conversationId, async () => {
      const state = this.#state(conversationId)
      const read = { sign: { timestamp: this.client.seconds() } }
      const conversation = await this.client.call('getConversation', { conversation_id: conversationId }, read)
      if (conversation.status !== 200) throw new FinSimulatorError(`get_conversation answered ${conversation.status}`, conversation)
      const after = state.synced.at(-1)?.id
      const messages = await this.client.call('getMessages', after === undefined ? { conversation_id: conversationId } : { conversation_id: conversationId, after_id: after }, read)
      if (messages.status !== 200 || !Array.isArray(messages.data)) throw new FinSimulatorError(`get_messages answered ${messages.status}`, messages)
      const known = new Set(state.synced.map((m) => m.id))
      for (const message of messages.data as Rec[]) {
        // Fin ignores what it already has (a helpdesk may ignore after_id and list everything).
        if (known.has(message.id)) continue
        known.add(message.id)
        state.synced.push(entry(message))
        state.pending = state.pending.filter((m) => m.id !== message.id)
      }
      const user = await this.client.call('getUser', { user_id: state.userId }, read)
      if (user.status !== 200) throw new FinSimulatorError(`get_user answered ${user.status}`, user)
      const update = await this.client.call('updateConversation', { conversation_id: conversationId, status: (conversation.data as Rec).status })
      if (update.status !== 200) throw new FinSimulatorError(`update_conversation answered ${update.status}`, update)
    })
  }

  /** Fin's copy of the conversation. */
  transcript (conversationId: string): TranscriptEntry[] {
    const state = this.#state(conversationId)
    return [...state.synced, ...state.pending]
  }

  conversations (): string[] {
    return [...this.#conversations.keys()]
  }

  /** Every difference between Fin's transcript and the helpdesk's messages. */
  async compare (conversationId: string): Promise<TranscriptDifference[]> {
    await this.idle()
    const res = await this.client.call('getMessages', { conversation_id: conversationId })
    if (res.status !== 200 || !Array.isArray(res.data)) throw new FinSimulatorError(`get_messages answered ${res.status}`, res)
    return differences(this.transcript(conversationId), (res.data as Rec[]).map(entry))
  }

  /** Resolves when no operation or sync is under way. */
  async idle (): Promise<void> {
    while (this.#inFlight > 0) await Promise.all([...this.#conversations.values()].map((s) => s.queue.catch(() => {})))
  }

  #write (conversationId: string, author: Rec, body: string): Promise<string> {
    return this.#serial(conversationId, async () => {
      const created = await this.#create('createMessage', { conversation_id: conversationId, message_type: 'comment', body, author, visibility: 'public', object_id: objectId('message') })
      this.#state(conversationId).pending.push(entry(created.data as Rec))
      return (created.data as Rec).id as string
    })
  }

  /** A create, retried with the same input (and so the same object_id) while the helpdesk fails. */
  async #create (operation: 'createUser' | 'createConversation' | 'createMessage', input: Rec): Promise<FinResponse & { data: Rec }> {
    let last: FinResponse | undefined
    let error: unknown
    for (let attempt = 1; attempt <= (this.#options.createAttempts ?? 3); attempt++) {
      try {
        last = await this.client.call(operation, input)
        if (last.status >= 200 && last.status < 300 && last.data !== null && typeof last.data === 'object') return last as FinResponse & { data: Rec }
        if (last.status < 500) break
      } catch (err) {
        error = err
      }
    }
    throw new FinSimulatorError(`${operation} failed: ${last === undefined ? String(error) : `${last.status} ${last.text.slice(0, 300)}`}`, last)
  }

  /** Fin locks a conversation while it works on it: one operation at a time per conversation. */
  #serial<T> (conversationId: string, fn: () => Promise<T>): Promise<T> {
    const state = this.#state(conversationId)
    this.#inFlight++
    const run = state.queue.catch(() => {}).then(fn).finally(() => { this.#inFlight-- })
    state.queue = run
    return run
  }

  #state (conversationId: string): ConversationState {
    const state = this.#conversations.get(conversationId)
    if (state === undefined) throw new FinSimulatorError(`conversation ${conversationId} was not started by this simulator`)
    return state
  }
}

function objectId (kind: string): string {
  return `fin-sim-${kind}-${randomUUID()}`
}

function entry (message: Rec): TranscriptEntry {
  return {
    id: message.id,
    body: message.body ?? null,
    author_id: message.author?.id,
    author_type: message.author?.user_type,
    visibility: message.visibility
  }
}

/** Differences between Fin's transcript and the helpdesk's list: missing either side, duplicated, reordered, changed. */
export function differences (fin: TranscriptEntry[], helpdesk: TranscriptEntry[]): TranscriptDifference[] {
  const out: TranscriptDifference[] = []
  const count = (list: TranscriptEntry[]) => list.reduce((m, e) => m.set(e.id, (m.get(e.id) ?? 0) + 1), new Map<string, number>())
  const finCount = count(fin)
  const helpdeskCount = count(helpdesk)
  for (const [id, n] of helpdeskCount) if (n > 1) out.push({ kind: 'duplicated', message_id: id, detail: `listed ${n} times by the helpdesk` })
  for (const [id, n] of finCount) if (n > 1) out.push({ kind: 'duplicated', message_id: id, detail: `${n} times in Fin's transcript` })
  for (const id of finCount.keys()) if (!helpdeskCount.has(id)) out.push({ kind: 'missing in helpdesk', message_id: id, detail: 'Fin has it, the helpdesk does not list it' })
  for (const id of helpdeskCount.keys()) if (!finCount.has(id)) out.push({ kind: 'missing in Fin', message_id: id, detail: 'the helpdesk lists it, Fin never received it' })
  const common = (list: TranscriptEntry[], other: Map<string, number>) => [...new Set(list.map((e) => e.id))].filter((id) => other.has(id))
  const finOrder = common(fin, helpdeskCount)
  const helpdeskOrder = common(helpdesk, finCount)
  finOrder.forEach((id, i) => {
    if (helpdeskOrder[i] !== id) out.push({ kind: 'reordered', message_id: id, detail: `position ${i} in Fin's transcript, ${helpdeskOrder.indexOf(id)} in the helpdesk's` })
  })
  const byId = new Map(helpdesk.map((e) => [e.id, e]))
  for (const mine of fin) {
    const theirs = byId.get(mine.id)
    if (theirs === undefined) continue
    for (const field of ['body', 'author_id', 'author_type', 'visibility'] as const) {
      if (mine[field] !== theirs[field]) out.push({ kind: 'changed', message_id: mine.id, detail: `${field}: Fin has ${JSON.stringify(mine[field])}, the helpdesk ${JSON.stringify(theirs[field])}` })
    }
  }
  return out
}
