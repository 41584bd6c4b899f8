import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { build } from './build.js'
import { FinEvents } from './events.js'
import { FinRegistry, createNotifyFin } from './decorators.js'
import { resolveOptions, type FinHelpdeskOptions } from './options.js'
import { finRoutes } from './http/routes/index.js'
import { guardStorage } from './storage/guard.js'
import { MemoryStorage } from './storage/memory.js'
import { FinNotifier } from './notify/notifier.js'
import { createTelemetry } from './telemetry/index.js'
import { notifyTelemetry, observeOutbox } from './telemetry/notify.js'
import { storageTracer } from './telemetry/storage.js'

async function finHelpdesk (fastify: FastifyInstance, pluginOptions: FinHelpdeskOptions): Promise<void> {
  const options = resolveOptions(pluginOptions)
  const { auth, sanitize, notify, ownsOutbox } = build(options)
  const storage = options.storage ?? new MemoryStorage()
  const events = new FinEvents(fastify.log)
  // fp-wrapped plugins ignore Fastify's own `prefix`: apply it to the encapsulated child ourselves.
  const prefix = pluginOptions.prefix ?? ''

  // OpenTelemetry, when the app registered an SDK before this plugin; undefined (and no hooks at all) otherwise.
  const telemetry = await createTelemetry(options.name)
  const notifier = notify === undefined ? undefined : new FinNotifier(notify, options.name, events, fastify.log, telemetry && notifyTelemetry(telemetry))
  const unobserve = telemetry === undefined || notify === undefined ? undefined : observeOutbox(telemetry, notify.outbox, () => notify.clock.now())

  if (!fastify.hasDecorator('fin')) fastify.decorate('fin', new FinRegistry())
  if (!fastify.hasDecorator('notifyFin')) fastify.decorate('notifyFin', createNotifyFin(fastify.fin))
  fastify.fin.add({ name: options.name, prefix: fastify.prefix + prefix, storage, events, notifier })
  if (notifier !== undefined) fastify.addHook('onReady', () => notifier.start())

  await fastify.register(finRoutes, { prefix, options, auth, sanitize, storage: guardStorage(storage, storageTracer(telemetry)), events, telemetry })

  fastify.addHook('onClose', async () => {
    // Requests are done by now (onClose runs after the server closed): drain notifications, then let go.
    unobserve?.()
    await notifier?.close()
    // Close only what we created: a storage or outbox passed in belongs to the host.
    if (ownsOutbox) await notify?.outbox.close?.()
    if (options.storage === undefined) await storage.close?.()
  })
}

/** Mounts the Fin Custom Helpdesk API (both variants by default) on a Fastify app. */
export const finHelpdeskPlugin = fp(finHelpdesk, { fastify: '5.x', name: 'fastify-fin-helpdesk' })
