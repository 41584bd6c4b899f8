// `fastify-fin-helpdesk/testing`: the contract suites (tap) that every storage and outbox adapter must pass.
export { testFinStorage } from './storage-contract.js'
export { testFinOutbox } from './outbox-contract.js'
