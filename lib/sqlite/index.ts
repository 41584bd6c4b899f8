// `fastify-fin-helpdesk/sqlite`: the embedded backend (better-sqlite3). Storage and outbox are independent:
// each creates only its own tables, so either can be used with another backend's counterpart.
export { SqliteStorage } from './storage.js'
export { SqliteOutbox } from './outbox.js'
