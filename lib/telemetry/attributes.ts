/** Names of what the plugin emits: one place, so docs/observability.md, the code and the tests agree. */

export const TRACER_NAME = 'fastify-fin-helpdesk'

// Our own attributes.
export const ATTR_FIN_OPERATION = 'fin.operation'
export const ATTR_FIN_INTEGRATION = 'fin.integration'
export const ATTR_FIN_VARIANT = 'fin.variant'
export const ATTR_FIN_CONVERSATION_ID = 'fin.conversation_id'
export const ATTR_FIN_USER_ID = 'fin.user_id'
export const ATTR_FIN_WEBHOOK_EVENT = 'fin.webhook.event'
export const ATTR_FIN_WEBHOOK_ATTEMPT = 'fin.webhook.attempt'
export const ATTR_FIN_OUTCOME = 'outcome'
export const ATTR_FIN_OUTBOX_STATE = 'fin.outbox.state'

// OpenTelemetry semantic conventions (stable HTTP, messaging), spelled out: the semantic-conventions package is
// not a dependency of the plugin.
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method'
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code'
export const ATTR_HTTP_ROUTE = 'http.route'
export const ATTR_URL_FULL = 'url.full'
export const ATTR_URL_PATH = 'url.path'
export const ATTR_SERVER_ADDRESS = 'server.address'
export const ATTR_SERVER_PORT = 'server.port'
export const ATTR_ERROR_TYPE = 'error.type'
export const ATTR_MESSAGING_SYSTEM = 'messaging.system'
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type'
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name'
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name'

/** messaging.system: Fin's webhook, fed from the notify outbox. */
export const MESSAGING_SYSTEM = 'intercom_fin'
/** messaging.destination.name: the webhook every event goes to. */
export const WEBHOOK_DESTINATION = 'custom_helpdesk_conversation_event'

// Span names.
export const SPAN_API_PREFIX = 'fin.api.'
export const SPAN_STORAGE_PREFIX = 'fin.storage.'
export const SPAN_WEBHOOK_CREATE = `create ${WEBHOOK_DESTINATION}`
export const SPAN_WEBHOOK_SEND = `send ${WEBHOOK_DESTINATION}`

// Metrics.
export const METRIC_API_REQUESTS = 'fin.api.requests'
export const METRIC_API_DURATION = 'fin.api.request.duration'
export const METRIC_WEBHOOK_DELIVERIES = 'fin.webhook.deliveries'
export const METRIC_OUTBOX_BACKLOG = 'fin.outbox.backlog'
export const METRIC_OUTBOX_OLDEST_AGE = 'fin.outbox.oldest_pending_age'

/** The semantic conventions' advice for http.server.request.duration, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
