import { FinOptionsError } from './errors.js'
import type { FinEvents } from './events.js'
import type { FinNotifier } from './notify/notifier.js'
import type { FinStorage } from './storage/types.js'

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

declare module 'fastify' {
  interface FastifyInstance {
    /** The Fin integrations of this app: `fastify.fin.events`, `fastify.fin.get('brand-b')`. */
    fin: FinRegistry
  }
}
