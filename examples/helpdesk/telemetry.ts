import type { FastifyPluginCallback } from 'fastify'

export interface HelpdeskTelemetry {
  /** @fastify/otel's plugin: the HTTP server spans; register it before any route. */
  plugin: FastifyPluginCallback
  /** Flushes what is buffered and stops the SDK. */
  shutdown: () => Promise<void>
}

/**
 * Starts the OpenTelemetry Node SDK when `OTEL_EXPORTER_OTLP_ENDPOINT` is set and `OTEL_SDK_DISABLED` is not
 * `true`; otherwise starts nothing and connects nowhere (a started SDK would export to localhost:4318 by default).
 * Everything else comes from the standard variables the SDK reads itself: OTEL_EXPORTER_OTLP_PROTOCOL
 * (http/protobuf, http/json, grpc), OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY, OTEL_METRIC_EXPORT_INTERVAL, ...
 * Call it before the app registers the plugin: the plugin checks once, at register time, for a registered SDK.
 */
export async function startTelemetry (env: NodeJS.ProcessEnv): Promise<HelpdeskTelemetry | undefined> {
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined || env.OTEL_EXPORTER_OTLP_ENDPOINT === '') return undefined
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined
  // Imported only when on: the SDK is a dev dependency of this example, not of the plugin.
  const { NodeSDK } = await import('@opentelemetry/sdk-node')
  const { FastifyOtelInstrumentation } = await import('@fastify/otel')
  const fastifyOtel = new FastifyOtelInstrumentation()
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME ?? 'fin-helpdesk', instrumentations: [fastifyOtel] })
  sdk.start()
  return { plugin: fastifyOtel.plugin(), shutdown: () => sdk.shutdown() }
}
