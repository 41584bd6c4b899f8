/**
 * The port the notifier traces through: notify/ owns it, telemetry/ implements it (telemetry/notify.ts). Plain
 * types, no `@opentelemetry/api` in them, so the plugin's published types do not need the optional API package.
 */

export type WebhookEvent = 'sync' | 'agent_typing'
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed'

/** One webhook call being traced and counted. */
export interface DeliveryAttempt {
  /** Headers carrying the attempt's trace context to Fin (`traceparent`), or undefined when not tracing. */
  readonly headers: Record<string, string> | undefined
  /** Runs the call with the attempt's span active (so an HTTP client instrumentation nests under it). */
  run<T>(fn: () => Promise<T>): Promise<T>
  end(outcome: DeliveryOutcome, status: number | null, error?: string): void
}

export interface NotifyTelemetry {
  /**
   * Marks that a sync was asked for: starts and ends a PRODUCER `create` span under the caller's span and returns
   * its W3C traceparent, to keep with the outbox entry; undefined when not tracing.
   */
  created(conversationId: string): string | undefined
  /** Starts one delivery attempt: a CLIENT `send` span, linked to the `create` span whose traceparent is given. */
  attempt(event: WebhookEvent, conversationId: string, attempt: number, url: string, link: string | null | undefined): DeliveryAttempt
}
