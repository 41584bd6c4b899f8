import type { FastifyBaseLogger } from 'fastify'
import { OAuthTokens } from './auth/oauth.js'
import { createSignatureCheck } from './auth/signature.js'
import { FinEvents } from './events.js'
import { createSanitizer } from './html.js'
import type { ApiAuth } from './http/auth.js'
import { MemoryOutbox, type FinOutbox } from './notify/outbox.js'
import { FinNotifier } from './notify/notifier.js'
import type { ResolvedOptions } from './options.js'
import { guardStorage } from './storage/guard.js'
import { MemoryStorage } from './storage/memory.js'
import type { FinStorage } from './storage/types.js'
import { createTelemetry, type FinTelemetry } from './telemetry/index.js'
import { notifyTelemetry, observeOutbox } from './telemetry/notify.js'
import { storageTracer } from './telemetry/storage.js'
import { FinWrites } from './writes/writes.js'

/** The objects one registration runs with, made from its checked options: the one place that builds them. */
export interface Built {
  auth: ApiAuth
  sanitize: (html: string) => string
  /** The storage the integration exposes: the host's, or a MemoryStorage made here. */
  storage: FinStorage
  /** The same storage behind the 5xx guard (and storage spans when tracing): what the routes call. */
  guardedStorage: FinStorage
  events: FinEvents
  /** Present when an OpenTelemetry SDK is registered. */
  telemetry: FinTelemetry | undefined
  /** Undefined without `notify`. */
  notifier: FinNotifier | undefined
  /** The one write path: `host` for `fastify.fin.createMessage()`..., `routes` for Fin's requests (input their schemas
   * validated, no sync back to Fin). Both write to the guarded storage. */
  writes: { host: FinWrites, routes: FinWrites }
  /** What to close on app.close(), in order: only what was made here (a storage or outbox passed in is the host's). */
  close: () => Promise<void>
}

/**
 * Builds what the options describe: the token issuer, the signature check, the sanitizer, the storage and its
 * guard, the events, telemetry (when the app registered an SDK first), the notifier and its default outbox, and the
 * write path over them.
 */
export async function build (options: ResolvedOptions, log: FastifyBaseLogger): Promise<Built> {
  const { notify } = options
  const storage = options.storage ?? new MemoryStorage()
  const events = new FinEvents(log)
  const telemetry = await createTelemetry(options.name)
  const outbox: FinOutbox | undefined = notify === undefined ? undefined : notify.outbox ?? new MemoryOutbox()
  const notifier = notify === undefined
    ? undefined
    : new FinNotifier({ options: { ...notify, outbox: outbox! }, integration: options.name, events, log, telemetry: telemetry && notifyTelemetry(telemetry) })
  const unobserve = telemetry === undefined || notify === undefined ? undefined : observeOutbox(telemetry, outbox!, () => notify.clock.now())
  const sanitize = createSanitizer(options.sanitize)
  const guardedStorage = guardStorage(storage, storageTracer(telemetry))
  const parts = { integration: options.name, storage: guardedStorage, events, notifier, sanitize, attributeLimits: options.attributeLimits }
  return {
    auth: {
      tokens: options.tokens,
      verifyToken: options.verifyToken,
      oauth: options.oauth === undefined ? undefined : new OAuthTokens(options.oauth),
      signature: options.signature === undefined ? undefined : createSignatureCheck(options.signature)
    },
    sanitize,
    storage,
    guardedStorage,
    events,
    telemetry,
    notifier,
    writes: { host: new FinWrites(parts, { trusted: false }), routes: new FinWrites(parts, { trusted: true }) },
    async close () {
      // Requests are done by now (onClose runs after the server closed): drain notifications, then let go.
      unobserve?.()
      await notifier?.close()
      if (notify !== undefined && notify.outbox === undefined) await outbox!.close?.()
      if (options.storage === undefined) await storage.close?.()
    }
  }
}
