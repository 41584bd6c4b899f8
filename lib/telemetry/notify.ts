import type { Attributes, BatchObservableResult, Link, SpanContext } from '@opentelemetry/api'
import type { FinOutbox } from '../notify/outbox.js'
import {
  ATTR_ERROR_TYPE, ATTR_FIN_CONVERSATION_ID, ATTR_FIN_INTEGRATION, ATTR_FIN_OUTBOX_STATE, ATTR_FIN_OUTCOME,
  ATTR_FIN_WEBHOOK_ATTEMPT, ATTR_FIN_WEBHOOK_EVENT, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_MESSAGING_DESTINATION_NAME, ATTR_MESSAGING_OPERATION_NAME, ATTR_MESSAGING_OPERATION_TYPE, ATTR_MESSAGING_SYSTEM,
  ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL, MESSAGING_SYSTEM, METRIC_OUTBOX_BACKLOG, METRIC_OUTBOX_OLDEST_AGE,
  SPAN_WEBHOOK_CREATE, SPAN_WEBHOOK_SEND, WEBHOOK_DESTINATION
} from './attributes.js'
import type { FinTelemetry } from './index.js'
import type { DeliveryAttempt, DeliveryOutcome, NotifyTelemetry, WebhookEvent } from '../notify/telemetry.js'

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** A span context as a W3C traceparent: how the outbox keeps it (a short string any store can hold). */
export function toTraceparent (context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`
}

/** The span context in a stored traceparent; undefined for anything else (an older entry has none). */
export function fromTraceparent (value: string | null | undefined): SpanContext | undefined {
  const match = value == null ? null : TRACEPARENT.exec(value)
  if (match === null) return undefined
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16), isRemote: true }
}

/**
 * Delivery telemetry, following OpenTelemetry's messaging conventions with the outbox as the queue: `notifyFin()`
 * makes a PRODUCER `create` span (its context kept with the outbox entry); each webhook call is a CLIENT `send` span
 * that starts a trace of its own (deliveries run long after the request that asked) and links back to it.
 */
export function notifyTelemetry (telemetry: FinTelemetry): NotifyTelemetry {
  const { api, tracer, integration, deliveries } = telemetry
  const messaging = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
    [ATTR_MESSAGING_DESTINATION_NAME]: WEBHOOK_DESTINATION,
    [ATTR_FIN_INTEGRATION]: integration
  }
  const untraced = (counted: Attributes): DeliveryAttempt => ({
    headers: undefined,
    run: (fn) => fn(),
    end: (outcome) => deliveries.add(1, { ...counted, [ATTR_FIN_OUTCOME]: outcome })
  })

  return {
    created (conversationId) {
      if (!telemetry.tracing) return undefined
      const span = tracer.startSpan(SPAN_WEBHOOK_CREATE, {
        kind: api.SpanKind.PRODUCER,
        attributes: {
          ...messaging,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'create',
          [ATTR_MESSAGING_OPERATION_NAME]: 'create',
          [ATTR_FIN_WEBHOOK_EVENT]: 'sync',
          [ATTR_FIN_CONVERSATION_ID]: conversationId
        }
      })
      span.end()
      return toTraceparent(span.spanContext())
    },

    attempt (event: WebhookEvent, conversationId: string, attempt: number, url: string, link: string | null | undefined): DeliveryAttempt {
      const counted = { [ATTR_FIN_WEBHOOK_EVENT]: event, [ATTR_FIN_INTEGRATION]: integration }
      if (!telemetry.tracing) return untraced(counted)
      const target = new URL(url)
      const linked = fromTraceparent(link)
      const links: Link[] = linked === undefined ? [] : [{ context: linked }]
      const span = tracer.startSpan(SPAN_WEBHOOK_SEND, {
        kind: api.SpanKind.CLIENT,
        // A sync runs from the outbox, whatever context woke the loop: a trace of its own, linked to the asker.
        // A typing event is sent at once, within the caller's trace.
        root: event === 'sync',
        links,
        attributes: {
          ...messaging,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
          [ATTR_MESSAGING_OPERATION_NAME]: 'send',
          [ATTR_FIN_WEBHOOK_EVENT]: event,
          [ATTR_FIN_WEBHOOK_ATTEMPT]: attempt,
          [ATTR_FIN_CONVERSATION_ID]: conversationId,
          [ATTR_HTTP_REQUEST_METHOD]: 'POST',
          [ATTR_URL_FULL]: url,
          [ATTR_SERVER_ADDRESS]: target.hostname,
          [ATTR_SERVER_PORT]: target.port === '' ? (target.protocol === 'https:' ? 443 : 80) : Number(target.port)
        }
      })
      const context = api.trace.setSpan(event === 'sync' ? api.ROOT_CONTEXT : api.context.active(), span)
      const headers: Record<string, string> = {}
      api.propagation.inject(context, headers)
      // Fin gets a W3C traceparent even when the app configured no propagator.
      headers.traceparent ??= toTraceparent(span.spanContext())
      return {
        headers,
        run: (fn) => api.context.with(context, fn),
        end (outcome: DeliveryOutcome, status: number | null, error?: string) {
          if (status !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
          if (outcome !== 'delivered') {
            span.setAttribute(ATTR_ERROR_TYPE, status === null ? 'network' : String(status))
            span.setStatus({ code: api.SpanStatusCode.ERROR, message: error })
          }
          span.setAttribute(ATTR_FIN_OUTCOME, outcome)
          span.end()
          deliveries.add(1, { ...counted, [ATTR_FIN_OUTCOME]: outcome })
        }
      }
    }
  }
}

/**
 * The outbox's backlog (entries by state) and the age of its oldest undelivered sync, observed on each metric
 * collection. Returns what stops observing (at close).
 */
export function observeOutbox (telemetry: FinTelemetry, outbox: FinOutbox, now: () => number): () => void {
  const { meter, integration } = telemetry
  const backlog = meter.createObservableGauge(METRIC_OUTBOX_BACKLOG, {
    description: 'Syncs in the notify outbox, by state: pending (waiting or between retries), inflight, failed (given up)',
    unit: '{sync}'
  })
  const oldest = meter.createObservableGauge(METRIC_OUTBOX_OLDEST_AGE, {
    description: 'How long the oldest sync not yet delivered (pending or in flight) has waited; 0 when none',
    unit: 's'
  })
  const callback = async (result: BatchObservableResult): Promise<void> => {
    // A store that does not answer reports nothing for this collection rather than failing it.
    try {
      const counts = await outbox.counts()
      for (const state of ['pending', 'inflight', 'failed'] as const) {
        result.observe(backlog, counts[state], { [ATTR_FIN_INTEGRATION]: integration, [ATTR_FIN_OUTBOX_STATE]: state })
      }
      if (outbox.oldestPendingAt !== undefined) {
        const at = await outbox.oldestPendingAt()
        result.observe(oldest, at === null ? 0 : Math.max(0, now() - at) / 1000, { [ATTR_FIN_INTEGRATION]: integration })
      }
    } catch {}
  }
  meter.addBatchObservableCallback(callback, [backlog, oldest])
  return () => meter.removeBatchObservableCallback(callback, [backlog, oldest])
}
