import { FinOptionsError } from './errors.js'
import { resolveAuthOptions, type FinAuthOptions, type ResolvedAuthOptions } from './auth/options.js'
import { resolveHttpOptions, type FinHttpOptions, type ResolvedHttpOptions } from './http/options.js'
import { resolveNotifyOptions, type FinNotifyOptions, type ResolvedNotifyOptions } from './notify/options.js'
import { checkStorage } from './storage/guard.js'
import type { FinStorage } from './storage/types.js'

/** What `fastify.register(finHelpdesk, options)` takes: the feature options, composed. */
export interface FinHelpdeskOptions extends FinAuthOptions, FinHttpOptions {
  /** Where to mount the Fin routes, e.g. '/api/fin'. @default '' */
  prefix?: string
  /**
   * Names this integration, so one app can serve several Fin integrations (one per brand), each registered under
   * its own prefix: `fastify.fin.get(name)`. @default 'default'
   */
  name?: string
  /** Where users, agents, conversations and messages are kept. @default new MemoryStorage() */
  storage?: FinStorage
  /** Turns on `fastify.notifyFin()` for this integration: where and how to call Fin's webhook. */
  notify?: FinNotifyOptions
}

/** The checked options: plain values only. The plugin builds the objects (outbox, token issuer, sanitizer) from them. */
export interface ResolvedOptions extends ResolvedAuthOptions, ResolvedHttpOptions {
  storage: FinStorage | undefined
  notify: ResolvedNotifyOptions | undefined
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/

/** Checks and completes the options once, at register time; never changes its input and builds nothing. */
export function resolveOptions (options: FinHelpdeskOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new FinOptionsError('options must be an object')
  const name = options.name ?? 'default'
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new FinOptionsError('name must be 1-64 letters, digits, "_" or "-"')
  }
  const auth = resolveAuthOptions(options, name)
  const http = resolveHttpOptions(options)
  const oauthPath = auth.oauth?.path
  if (oauthPath !== undefined && http.routes.some((route) => route.method === 'POST' && route.path === oauthPath)) {
    throw new FinOptionsError(`oauth.path ${oauthPath} is also the path of a Fin operation`)
  }
  return {
    ...auth,
    ...http,
    storage: options.storage === undefined ? undefined : checkStorage(options.storage),
    notify: options.notify === undefined ? undefined : resolveNotifyOptions(options.notify)
  }
}
