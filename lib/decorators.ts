import { FinNotifyNotConfiguredError, FinOptionsError } from './errors.js'
import type { FinEvents } from './events.js'
import type { FinNotifier, NotifyFailure, NotifyStats, TypingAgent } from './notify/notifier.js'
import type { Conversation, EndUser, Message } from './schemas/models.js'
import type { FinStorage } from './storage/types.js'
import type { ConversationWrite, MessageWrite, UserUpdate, UserWrite } from './writes/validate.js'
import type { FinWriteOptions, FinWrites } from './writes/writes.js'

// The Fastify glue of the plugin in one place: what it decorates the app with, and the only module augmentation.
// Internals that requests carry (the raw body for signatures) sit on a symbol in lib/auth/raw-body.ts instead.

/**
 * The write API, on `fastify.fin` (default integration, or `options.integration`) and on each FinIntegration: the
 * one path every change takes, Fin's and the host's. Each call validates and sanitizes as the Fin routes do (same
 * FIN_ERR_* errors), writes, enqueues Fin's sync in the same transaction when the change is one Fin must hear of
 * (with `notify` options; `notifyFin: false` to skip), and emits the same event as when Fin writes. Inputs are the
 * Fin API's own request bodies without the id passed first. See docs/writes.md.
 */
export interface FinWriteApi {
  /** Creates a message (an agent's reply, a note with visibility 'private'); idempotent on `object_id`. */
  createMessage (conversationId: string, input: MessageWrite, options?: FinWriteOptions): Promise<Message>
  /** Changes status, assignee_id (null: unassigned; use `handover` for a handover), title, tags, attributes (merged). */
  updateConversation (conversationId: string, patch: ConversationWrite, options?: FinWriteOptions): Promise<Conversation>
  /** Unassigns: `conversation.handover` fires, as when Fin hands over. */
  handover (conversationId: string, options?: FinWriteOptions): Promise<Conversation>
  /** Idempotent on `object_id`. No sync: Fin's webhook names conversations. */
  createUser (input: UserWrite, options?: FinWriteOptions): Promise<EndUser>
  /** Attributes merged into the stored ones. No sync. */
  updateUser (userId: string, patch: UserUpdate, options?: FinWriteOptions): Promise<EndUser>
  /** "Agent is typing" (an agent id, or its fields): false when throttled or when Fin is not notified. */
  typing (conversationId: string, agent: string | TypingAgent, options?: FinWriteOptions): Promise<boolean>
}

/** One registration of the plugin: a Fin integration with its own storage, events, routes and write API. */
export interface FinIntegration extends FinWriteApi {
  readonly name: string
  /** Where the routes are mounted, e.g. '/api/fin'. */
  readonly prefix: string
  /** The storage as given: reads are fine; write through the write API, so Fin hears of changes. */
  readonly storage: FinStorage
  readonly events: FinEvents
  /** Delivers this integration's webhook events; undefined without `notify` options. */
  readonly notifier: FinNotifier | undefined
}

type IntegrationFields = Pick<FinIntegration, 'name' | 'prefix' | 'storage' | 'events' | 'notifier'>

/** An integration: its fields, and the write API of its FinWrites. */
export function createIntegration (fields: IntegrationFields, writes: FinWrites): FinIntegration {
  return {
    ...fields,
    createMessage: (conversationId, input, options) => writes.createMessage(conversationId, input, options),
    updateConversation: (conversationId, patch, options) => writes.updateConversation(conversationId, patch, options),
    handover: (conversationId, options) => writes.handover(conversationId, options),
    createUser: (input, options) => writes.createUser(input, options),
    updateUser: (userId, patch, options) => writes.updateUser(userId, patch, options),
    typing: (conversationId, agent, options) => writes.typing(conversationId, agent, options)
  }
}

/**
 * `fastify.fin`: every integration registered on this app, by name. `events` and `storage` are the default
 * integration's (the one named 'default', else the first registered), for the common single-integration app.
 */
export class FinRegistry implements FinWriteApi {
  readonly #integrations = new Map<string, FinIntegration>()

  add (integration: FinIntegration): void {
    if (this.#integrations.has(integration.name)) {
      throw new FinOptionsError(`an integration named "${integration.name}" is already registered; give each registration its own \`name\``)
    }
    this.#integrations.set(integration.name, integration)
  }

  has (name: string): boolean {
    return this.#integrations.has(name)
  }

  /** The integration named `name`; throws for an unknown name. */
  get (name?: string): FinIntegration {
    const integration = name === undefined ? this.#default() : this.#integrations.get(name)
    if (integration === undefined) throw new FinOptionsError(`no integration named "${String(name)}" is registered`)
    return integration
  }

  names (): string[] {
    return [...this.#integrations.keys()]
  }

  get events (): FinEvents {
    return this.get().events
  }

  get storage (): FinStorage {
    return this.get().storage
  }

  async createMessage (conversationId: string, input: MessageWrite, options?: FinWriteOptions): Promise<Message> {
    return this.get(options?.integration).createMessage(conversationId, input, options)
  }

  async updateConversation (conversationId: string, patch: ConversationWrite, options?: FinWriteOptions): Promise<Conversation> {
    return this.get(options?.integration).updateConversation(conversationId, patch, options)
  }

  async handover (conversationId: string, options?: FinWriteOptions): Promise<Conversation> {
    return this.get(options?.integration).handover(conversationId, options)
  }

  async createUser (input: UserWrite, options?: FinWriteOptions): Promise<EndUser> {
    return this.get(options?.integration).createUser(input, options)
  }

  async updateUser (userId: string, patch: UserUpdate, options?: FinWriteOptions): Promise<EndUser> {
    return this.get(options?.integration).updateUser(userId, patch, options)
  }

  async typing (conversationId: string, agent: string | TypingAgent, options?: FinWriteOptions): Promise<boolean> {
    return this.get(options?.integration).typing(conversationId, agent, options)
  }

  #default (): FinIntegration | undefined {
    return this.#integrations.get('default') ?? this.#integrations.values().next().value
  }
}

export interface NotifyCallOptions {
  /** Which integration to notify (its `name`); by default the app's default integration. */
  integration?: string
  /**
   * Your open transaction, so the sync commits or rolls back with your own write (the outbox must be in the same
   * database): a better-sqlite3 Database inside `db.transaction()` (with SqliteOutbox on that file; the call then
   * writes synchronously and throws, not rejects, so your transaction rolls back), or a `pg` client inside BEGIN
   * (with PostgresOutbox; await it before COMMIT). See docs/notify.md.
   */
  transaction?: unknown
}

/** `fastify.notifyFin`: tell Fin a conversation changed, or that an agent is typing. */
export interface NotifyFin {
  /** Fin should sync the conversation. Resolves once the event is accepted (stored in the outbox). */
  (conversationId: string, options?: NotifyCallOptions): Promise<void>
  /** Shows "agent is typing" in the Fin Messenger. Resolves false when throttled. */
  typing (conversationId: string, agent: TypingAgent, options?: NotifyCallOptions): Promise<boolean>
  stats (options?: NotifyCallOptions): Promise<NotifyStats>
  failures (options?: NotifyCallOptions): Promise<NotifyFailure[]>
}

export function createNotifyFin (registry: FinRegistry): NotifyFin {
  const notifier = (options?: NotifyCallOptions): FinNotifier => {
    const integration = registry.get(options?.integration)
    if (integration.notifier === undefined) throw new FinNotifyNotConfiguredError(integration.name)
    return integration.notifier
  }
  // Not async: inside a synchronous transaction (SQLite) a failure must throw into it, not become a rejection.
  const notifyFin = (conversationId: string, options?: NotifyCallOptions): Promise<void> => {
    if (options?.transaction === undefined) return Promise.resolve().then(() => notifier(options).sync(conversationId))
    return Promise.resolve(notifier(options).syncIn(options.transaction, conversationId))
  }
  notifyFin.typing = async (conversationId: string, agent: TypingAgent, options?: NotifyCallOptions) => notifier(options).typing(conversationId, agent)
  notifyFin.stats = async (options?: NotifyCallOptions) => notifier(options).stats()
  notifyFin.failures = async (options?: NotifyCallOptions) => notifier(options).failures()
  return notifyFin
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The Fin integrations of this app: `fastify.fin.events`, `fastify.fin.get('brand-b')`. */
    fin: FinRegistry
    /** Tells Fin about changes: see docs/notify.md. Throws FIN_ERR_NOTIFY_NOT_CONFIGURED without `notify` options. */
    notifyFin: NotifyFin
  }
}
