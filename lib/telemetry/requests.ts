import type { Context, Span } from '@opentelemetry/api'
import type { FastifyError, FastifyRequest, onErrorHookHandler, onRequestHookHandler, onResponseHookHandler } from 'fastify'
import {
  ATTR_ERROR_TYPE, ATTR_FIN_CONVERSATION_ID, ATTR_FIN_INTEGRATION, ATTR_FIN_OPERATION, ATTR_FIN_USER_ID, ATTR_FIN_VARIANT,
  ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH, SPAN_API_PREFIX
} from './attributes.js'
import { finRoute } from '../operations.js'
import type { FinTelemetry } from './index.js'

const kState = Symbol('fin.telemetry')

interface RequestState {
  span: Span | undefined
  context: Context | undefined
  operation: string
  started: number
  errored: boolean
}

type Instrumented = FastifyRequest & { [kState]: RequestState | null }

/** The slot each request's telemetry state lives in: http/ declares it (null) in the API context. */
export const TELEMETRY_STATE: symbol = kState

/** The three hooks that trace and count the Fin API's requests; http/ adds them to its context. */
export interface ApiHooks {
  onRequest: onRequestHookHandler
  onError: onErrorHookHandler
  onResponse: onResponseHookHandler
}

/**
 * Hooks that trace and count the Fin API routes of one context, added before the routes are declared. Each request
 * gets a `fin.api.<operation>` span: a child of the server span when there is one (@fastify/otel or the HTTP
 * instrumentation), else a SERVER span of its own. See traceHandler for its context in the handler.
 */
export function apiHooks (telemetry: FinTelemetry): ApiHooks {
  const { api, tracer, integration } = telemetry
  const onRequest: onRequestHookHandler = (request, _reply, done) => {
    const { operation = 'unknown', variant = 'standard' } = finRoute(request)
    const state: RequestState = { span: undefined, context: undefined, operation, started: performance.now(), errored: false }
    if (telemetry.tracing) {
      // @fastify/otel runs our hook inside a span of its own: parent the request span on its request span instead.
      let parent = fastifyOtelContext(request) ?? api.context.active()
      const server = api.trace.getSpan(parent) === undefined
      // No server span around us: we are it, continuing the caller's trace if it sent one.
      if (server) parent = api.propagation.extract(parent, request.headers)
      const attributes: Record<string, string> = {
        [ATTR_FIN_OPERATION]: operation,
        [ATTR_FIN_INTEGRATION]: integration,
        [ATTR_FIN_VARIANT]: variant
      }
      if (server) {
        attributes[ATTR_HTTP_REQUEST_METHOD] = request.method
        attributes[ATTR_HTTP_ROUTE] = request.routeOptions.url ?? ''
        attributes[ATTR_URL_PATH] = request.url.split('?', 1)[0]!
      }
      state.span = tracer.startSpan(SPAN_API_PREFIX + operation, { kind: server ? api.SpanKind.SERVER : api.SpanKind.INTERNAL, attributes }, parent)
      state.context = api.trace.setSpan(parent, state.span)
    }
    ;(request as Instrumented)[kState] = state
    done()
  }

  const onError: onErrorHookHandler = (request, _reply, error: FastifyError, done) => {
    const state = (request as Instrumented)[kState]
    const span = state?.span
    if (span !== undefined) {
      state!.errored = true
      span.recordException(error)
      span.setAttribute(ATTR_ERROR_TYPE, error.code ?? error.name)
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: `${error.code ?? error.name}: ${error.message}` })
    }
    done()
  }

  const onResponse: onResponseHookHandler = (request, reply, done) => {
    const state = (request as Instrumented)[kState]
    if (state === null) return done()
    const status = reply.statusCode
    const attributes = { [ATTR_FIN_OPERATION]: state.operation, [ATTR_FIN_INTEGRATION]: integration, [ATTR_HTTP_RESPONSE_STATUS_CODE]: status }
    telemetry.requests.add(1, attributes)
    telemetry.duration.record((performance.now() - state.started) / 1000, attributes)
    const span = state.span
    if (span !== undefined) {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
      // An error answered without passing through onError still marks the span.
      if (status >= 400 && !state.errored) span.setStatus({ code: api.SpanStatusCode.ERROR })
      span.end()
    }
    done()
  }
  return { onRequest, onError, onResponse }
}

/** An operation's handler: its validated input (query or body) and the request. */
export type TraceableHandler<I, R> = (input: I, request: FastifyRequest) => Promise<R>

/**
 * A handler run in the request span's context, so storage spans nest under it. Wrapped here, innermost, rather
 * than at the route: @fastify/otel wraps route handlers in a context of its own.
 */
export function traceHandler<I, R> (handler: TraceableHandler<I, R>, telemetry: FinTelemetry): TraceableHandler<I, R> {
  const { context } = telemetry.api
  return (input, request) => {
    const state = (request as Instrumented)[kState]
    if (state?.context === undefined) return handler(input, request)
    setInputAttributes(state.span!, input as Record<string, unknown> | undefined)
    return context.with(state.context, handler, undefined, input, request)
  }
}

/** The request span's context from @fastify/otel (its documented `request.opentelemetry()`), when it is there. */
function fastifyOtelContext (request: FastifyRequest): Context | undefined {
  const otel = (request as { opentelemetry?: () => { instrumented?: boolean, context?: Context | null } }).opentelemetry
  if (typeof otel !== 'function') return undefined
  const { instrumented, context } = otel.call(request)
  return instrumented === true && context != null ? context : undefined
}

/** fin.conversation_id / fin.user_id from the validated query or body, where the request names them. */
function setInputAttributes (span: Span, input: Record<string, unknown> | undefined): void {
  if (input === null || typeof input !== 'object') return
  if (typeof input.conversation_id === 'string') span.setAttribute(ATTR_FIN_CONVERSATION_ID, input.conversation_id)
  const user = input.user as { id?: unknown } | undefined
  const userId = input.user_id ?? user?.id
  if (typeof userId === 'string') span.setAttribute(ATTR_FIN_USER_ID, userId)
}
