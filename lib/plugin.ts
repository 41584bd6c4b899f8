import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { build } from './build.js'
import { FinRegistry, createIntegration, createNotifyFin } from './decorators.js'
import { resolveOptions, type FinHelpdeskOptions } from './options.js'
import { finRoutes } from './http/routes/index.js'

/** Registers and decorates; every object it uses is made by build(). */
async function finHelpdesk (fastify: FastifyInstance, pluginOptions: FinHelpdeskOptions): Promise<void> {
  const options = resolveOptions(pluginOptions)
  const built = await build(options, fastify.log)
  const { storage, events, notifier } = built
  // fp-wrapped plugins ignore Fastify's own `prefix`: apply it to the encapsulated child ourselves.
  const prefix = pluginOptions.prefix ?? ''

  if (!fastify.hasDecorator('fin')) fastify.decorate('fin', new FinRegistry())
  if (!fastify.hasDecorator('notifyFin')) fastify.decorate('notifyFin', createNotifyFin(fastify.fin))
  fastify.fin.add(createIntegration({ name: options.name, prefix: fastify.prefix + prefix, storage, events, notifier }, built.writes.host))
  if (notifier !== undefined) fastify.addHook('onReady', () => notifier.start())

  // http/ gets its own options (and the limits' part of auth's), never the whole set.
  const { name, routes, sanitize, bodyLimit, attributeLimits, rateLimit, authFailureLimit } = options
  await fastify.register(finRoutes, {
    prefix,
    options: { name, routes, sanitize, bodyLimit, attributeLimits, rateLimit, authFailureLimit },
    auth: built.auth,
    sanitize: built.sanitize,
    storage: built.guardedStorage,
    events,
    writes: built.writes.routes,
    telemetry: built.telemetry
  })

  fastify.addHook('onClose', built.close)
}

/** Mounts the Fin Custom Helpdesk API (both variants by default) on a Fastify app. */
export const finHelpdeskPlugin = fp(finHelpdesk, { fastify: '5.x', name: 'fastify-fin-helpdesk' })
