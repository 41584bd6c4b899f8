// `fastify-fin-helpdesk/testing`: the contract suites (tap) that every storage and outbox adapter must pass.
export { testFinStorage, type FinStorageFactory } from './storage-contract.js'
export { testFinOutbox, type FinOutboxFactory } from './outbox-contract.js'
