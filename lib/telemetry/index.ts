import type * as OtelApi from '@opentelemetry/api'
import type { Counter, Histogram, Meter, Tracer } from '@opentelemetry/api'
import {
  DURATION_BUCKETS, METRIC_API_DURATION, METRIC_API_REQUESTS, METRIC_WEBHOOK_DELIVERIES, TRACER_NAME
} from './attributes.js'

type Api = typeof OtelApi

let loading: Promise<Api | undefined> | undefined

/**
 * `@opentelemetry/api`, imported once per process; undefined when the host app did not install it (it is an
 * optional peer dependency): the plugin then runs without telemetry.
 */
export function loadOtelApi (): Promise<Api | undefined> {
  loading ??= import('@opentelemetry/api').then((api) => api, () => undefined)
  return loading
}

/**
 * The plugin's handle on OpenTelemetry for one registration: tracer, meter and instruments, made once. It exists
 * only when the app registered a tracer or meter provider (an SDK) before registering the plugin: without one,
 * no hook is added and nothing is allocated per request, which is cheaper than calling the API's no-ops.
 */
export class FinTelemetry {
  readonly api: Api
  readonly integration: string
  readonly tracer: Tracer
  readonly meter: Meter
  /** A tracer provider other than the no-op one is registered. */
  readonly tracing: boolean
  readonly requests: Counter
  readonly duration: Histogram
  readonly deliveries: Counter

  constructor (api: Api, integration: string, tracing: boolean, version: string | undefined) {
    this.api = api
    this.integration = integration
    this.tracing = tracing
    this.tracer = api.trace.getTracer(TRACER_NAME, version)
    this.meter = api.metrics.getMeter(TRACER_NAME, version)
    this.requests = this.meter.createCounter(METRIC_API_REQUESTS, {
      description: 'Fin Custom Helpdesk API requests answered, by operation and status code',
      unit: '{request}'
    })
    this.duration = this.meter.createHistogram(METRIC_API_DURATION, {
      description: 'Duration of Fin Custom Helpdesk API requests, from arrival to response',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS }
    })
    this.deliveries = this.meter.createCounter(METRIC_WEBHOOK_DELIVERIES, {
      description: 'Fin webhook delivery attempts, by event and outcome (delivered, retry, failed)',
      unit: '{attempt}'
    })
  }
}

/**
 * Telemetry for one registration, or undefined when there is nothing to report to: no `@opentelemetry/api`, or
 * neither a tracer nor a meter provider registered (checked once, here: start the SDK before registering the plugin).
 */
export async function createTelemetry (integration: string, version?: string): Promise<FinTelemetry | undefined> {
  const api = await loadOtelApi()
  if (api === undefined) return undefined
  // Without a registered provider the global tracer hands out non-recording spans with an invalid context. The
  // probe is never ended, so a real SDK never exports it.
  const probe = api.trace.getTracer(TRACER_NAME).startSpan('fin.telemetry.probe', { root: true })
  const tracing = api.isSpanContextValid(probe.spanContext())
  const metering = api.metrics.getMeterProvider().getMeter(TRACER_NAME) !== api.createNoopMeter()
  if (!tracing && !metering) return undefined
  return new FinTelemetry(api, integration, tracing, version)
}
