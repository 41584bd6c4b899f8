// `fastify-fin-helpdesk/simulator`: play Fin against a helpdesk, and check a helpdesk's conformance.
export { FinClient, type FinClientOptions, type FinResponse, type FinOAuthCredentials, type FinVariantName } from './client.js'
export { FinSimulator, FinSimulatorError, differences, type FinSimulatorOptions, type TranscriptEntry, type TranscriptDifference, type WebhookEvent } from './simulator.js'
export { runConformance, TEST_DATA_MARK, type CheckResult, type CheckReport, type ConformanceOptions } from './checks.js'
