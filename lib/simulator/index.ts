// `fastify-fin-helpdesk/simulator`: play Fin against a helpdesk, sign requests as Fin does, and check a helpdesk's
// conformance.
export { FinClient } from './client.js'
export { FinSimulator } from './simulator.js'
export { FinWebhookReceiver } from './webhook-receiver.js'
export { runConformance, exitCode, toJUnit, type CheckReport, type ConformanceOptions } from './checks/index.js'
export { signFinRequest, canonicalQuery } from '../auth/signature.js'
