import { ATTR_ERROR_TYPE, ATTR_FIN_INTEGRATION, SPAN_STORAGE_PREFIX } from './attributes.js'
import type { FinTelemetry } from './index.js'
import type { StorageTracer } from '../storage/tracer.js'

const identity: StorageTracer = (_method, fn) => fn

/**
 * Each storage call as a `fin.storage.<method>` span under the active one (the request's), so a slow database
 * shows where it is. A coded 4xx (not found) is an answer, not a failure: it is named in `error.type` but leaves
 * the span's status alone; anything else is recorded as an error.
 */
export function storageTracer (telemetry: FinTelemetry | undefined): StorageTracer {
  if (telemetry?.tracing !== true) return identity
  const { api, tracer, integration } = telemetry
  const attributes = { [ATTR_FIN_INTEGRATION]: integration }
  return (<F extends (...args: never[]) => Promise<unknown>>(method: string, fn: F): F => {
    const name = SPAN_STORAGE_PREFIX + method
    return ((...args: Parameters<F>) => tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await fn(...args)
      } catch (err) {
        const { code, statusCode, name: type } = err as { code?: unknown, statusCode?: unknown, name?: unknown }
        span.setAttribute(ATTR_ERROR_TYPE, typeof code === 'string' ? code : typeof type === 'string' ? type : 'Error')
        if (!(typeof statusCode === 'number' && statusCode < 500)) {
          span.recordException(err as Error)
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: (err as Error).message })
        }
        throw err
      } finally {
        span.end()
      }
    })) as F
  }) as StorageTracer
}
