// `fastify-fin-helpdesk/postgres`: the backend for several instances (pg). Storage and outbox are independent:
// each creates only its own tables, so either can be used with another backend's counterpart.
export { PostgresStorage } from './storage.js'
export { PostgresOutbox } from './outbox.js'
