import { FinNotifyNotConfiguredError } from '../errors.js'
import type { FinRegistry } from '../integration.js'
import type { FinNotifier, NotifyFailure, NotifyStats, TypingAgent } from './notifier.js'

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
    notifyFin: NotifyFin
  }
}
