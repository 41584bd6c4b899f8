// The public entry: an explicit list, each name on purpose. README.md's "API" section lists the same names, and
// test/exports.test.ts fails when the two differ. Classes a user only receives (never constructs) are types;
// what a name can be reached through (an option's own type: `FinHelpdeskOptions['notify']`) is not repeated here.
import { finHelpdeskPlugin } from './plugin.js'

// The plugin and its options
export default finHelpdeskPlugin
export type { FinHelpdeskOptions } from './options.js'
export type { FinTokenVerifier } from './auth/options.js'

// What the plugin decorates the app with: `fastify.fin` (`fastify.notifyFin` is typed by the module augmentation)
export type { FinRegistry, FinIntegration } from './decorators.js'
export type { FinWriteOptions } from './writes/writes.js'
export type { FinEventMap } from './events.js'

// Errors: every FIN_ERR_* class by its code, and their base class (docs/errors.md)
export { errorCodes, FinError } from './errors.js'

// Storage: the interface to implement (its records in a type namespace), the in-memory adapter, the attribute bounds
export { MemoryStorage } from './storage/memory.js'
export type { FinStorage } from './storage/types.js'
export type * as FinStorageTypes from './storage/types.js'
export { checkAttributes } from './storage/attributes.js'
export { scanConversationViews, type ConversationViewQuery, type ConversationViewPage } from './storage/views.js'

// The notify outbox: the interface to implement, and the in-memory one
export { MemoryOutbox, type FinOutbox, type OutboxEntry } from './notify/outbox.js'

// Fin's data: TypeBox schemas, each also the static type of the same name (`schemas.Conversation`)
export * as schemas from './schemas/index.js'

// Helpers for a host's own routes
export { applyFinConventions } from './http/conventions.js'
export { sanitizeFinHtml } from './html.js'
