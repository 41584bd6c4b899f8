// `fastify-fin-helpdesk/testing`: the contract suites (tap) that every storage and outbox adapter must pass.
export { testFinStorage, type FinStorageFactory, type StorageContractOptions } from './storage-contract.js'
export { testFinOutbox, type FinOutboxFactory, type OutboxContractOptions } from './outbox-contract.js'
