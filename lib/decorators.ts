import { FinNotifyNotConfiguredError, FinOptionsError } from './errors.js'
import type { FinEvents } from './events.js'
import type { FinNotifier, NotifyFailure, NotifyStats, TypingAgent } from './notify/notifier.js'
import type { FinStorage } from './storage/types.js'

// The Fastify glue of the plugin in one place: what it decorates the app with, and the only module augmentation.
// Internals that requests carry (the raw body for signatures) sit on a symbol in lib/auth/raw-body.ts instead.

/** One registration of the plugin: a Fin integration with its own storage, events and routes. */
export interface FinIntegration {
  readonly name: string
  /** Where the routes are mounted, e.g. '/api/fin'. */
  readonly prefix: string
  readonly storage: FinStorage
  readonly events: FinEvents
  /** Delivers this integration's webhook events; undefined without `notify` options. */
  readonly notifier: FinNotifier | undefined
}

/**
 * `fastify.fin`: every integration registered on this app, by name. `events` and `storage` are the default
 * integration's (the one named 'default', else the first registered), for the common single-integration app.
 */
export class FinRegistry {
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

  #default (): FinIntegration | undefined {
    return this.#integrations.get('default') ?? this.#integrations.values().next().value
  }
}

export interface NotifyCallOptions {
  /** Which integration to notify (its `name`); by default the app's default integration. */
  integration?: string
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
  const notifyFin = async (conversationId: string, options?: NotifyCallOptions): Promise<void> => notifier(options).sync(conversationId)
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
