// `fastify-fin-helpdesk/simulator`: play Fin against a helpdesk, and check a helpdesk's conformance.
export { FinClient, type FinClientOptions, type FinCallInit, type FinResponse, type FinOAuthCredentials, type FinVariantName } from './client.js'
export { FinSimulator, FinSimulatorError, differences, type FinSimulatorOptions, type TranscriptEntry, type TranscriptDifference } from './simulator.js'
export { FinWebhookReceiver, type FinWebhookReceiverOptions, type WebhookEvent, type WebhookRequest } from './webhook-receiver.js'
export { runConformance, exitCode, toJUnit, TEST_DATA_MARK, type CheckResult, type CheckReport, type ConformanceOptions, type Severity } from './checks/index.js'
