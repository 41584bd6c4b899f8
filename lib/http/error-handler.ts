import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import {
  FinBadRequestError, FinBodyTooLargeError, FinInternalError, FinUnsupportedMediaTypeError, FinValidationError,
  problemTitle, problemType
} from '../errors.js'
import { finRoute } from '../operations.js'

interface CodedError {
  code: string
  statusCode: number
  message: string
}

/**
 * Maps whatever was thrown to one of our coded errors; anything unexpected becomes a bare 500. `contentType` is the
 * request's Content-Type header, named in a 415 (Fastify's own message does not say which type it refused).
 */
export function toFinError (error: FastifyError, bodyLimit: number, contentType?: string): CodedError {
  const { code, statusCode } = error
  if (typeof code === 'string' && code.startsWith('FIN_ERR_') && typeof statusCode === 'number') {
    return { code, statusCode, message: error.message }
  }
  if (error.validation !== undefined) return new FinValidationError(error.message)
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new FinBodyTooLargeError(bodyLimit)
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new FinUnsupportedMediaTypeError(describeContentType(contentType))
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const coded = new FinBadRequestError(error.message)
    return { code: coded.code, statusCode, message: coded.message }
  }
  return new FinInternalError()
}

/**
 * Error handler of the Fin routes: a coded body in the variant the route's config names (`config.variant`, the
 * standard shape elsewhere), `WWW-Authenticate` on 401, and the original error logged (at error level for 5xx,
 * which never show their internals to the client).
 */
export function createErrorHandler (bodyLimit: number) {
  return function finErrorHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const fin = toFinError(error, bodyLimit, request.headers['content-type'])
    if (fin.statusCode >= 500) request.log.error({ err: error }, 'fastify-fin-helpdesk: request failed')
    else request.log.info({ code: fin.code, statusCode: fin.statusCode }, fin.message)
    if (fin.statusCode === 401) {
      reply.header('www-authenticate', request.headers.authorization === undefined ? 'Bearer' : 'Bearer error="invalid_token"')
    }
    reply.code(fin.statusCode)
    if (finRoute(request).variant === 'posts-only') {
      return {
        error: {
          type: problemType(fin.code),
          title: problemTitle(fin.code),
          status: fin.statusCode,
          detail: fin.message,
          instance: request.url
        }
      }
    }
    return { statusCode: fin.statusCode, code: fin.code, error: STATUS_CODES[fin.statusCode] ?? 'Error', message: fin.message }
  }
}

/** The Content-Type as sent, quoted and cut to a readable length (it is the client's text, echoed back). */
function describeContentType (contentType: string | undefined): string {
  if (contentType === undefined || contentType.trim() === '') return '(none sent)'
  const value = contentType.trim()
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)
}
