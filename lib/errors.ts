import createError, { type FastifyErrorConstructor } from '@fastify/error'

// Every error the plugin answers with is made here, so users can test `instanceof` and `code`.
// Standard-variant routes answer { statusCode, code, error, message }; POST-only routes answer the same error
// as an RFC 7807 problem inside { error } (no `data` member). See docs/errors.md.

/** The base class of every FIN_ERR_* error: `err instanceof FinError`. */
export class FinError extends Error {
  declare readonly code: string
  declare readonly statusCode: number
}

/**
 * createError with the message arguments typed (its default, `[any?, any?, any?]`, would leak `any` into our
 * public types) and FinError as the base. `Args` are the values for the message's `%s`, optionally followed by
 * `{ cause }`.
 */
function coded<Args extends unknown[]> () {
  return <C extends string, SC extends number>(code: C, message: string, statusCode: SC) =>
    createError<C, SC, [...Args, { cause: unknown }?]>(code, message, statusCode, FinError as unknown as ErrorConstructor)
}

export const FinValidationError = coded<[detail: string]>()('FIN_ERR_VALIDATION', '%s', 400)
export const FinInvalidJsonError = coded<[reason: string]>()('FIN_ERR_INVALID_JSON', 'Request body is not valid JSON: %s', 400)
export const FinBadRequestError = coded<[detail: string]>()('FIN_ERR_BAD_REQUEST', '%s', 400)
export const FinEmptyMessageError = coded<[where: string]>()('FIN_ERR_EMPTY_MESSAGE',
  'A message needs a body, at least one attachment, or both (%s)', 400)
export const FinUserMismatchError = coded<[userId: string, conversationId: string]>()('FIN_ERR_USER_MISMATCH',
  'body/user/id %s is not the end-user of conversation %s', 400)
export const FinUnauthorizedError = coded<[reason: string]>()('FIN_ERR_UNAUTHORIZED', '%s', 401)
export const FinInvalidSignatureError = coded<[reason: string]>()('FIN_ERR_INVALID_SIGNATURE', 'Request signature refused: %s', 401)
export const FinUserNotFoundError = coded<[userId: string]>()('FIN_ERR_USER_NOT_FOUND', 'User %s not found', 404)
export const FinConversationNotFoundError = coded<[conversationId: string]>()('FIN_ERR_CONVERSATION_NOT_FOUND',
  'Conversation %s not found', 404)
export const FinAgentNotFoundError = coded<[agentId: string]>()('FIN_ERR_AGENT_NOT_FOUND', 'Agent %s not found', 404)
/** A user's or conversation's attributes, once merged, would exceed `attributeLimits`: nothing is written. */
export const FinAttributesTooLargeError = coded<[owner: string, size: string, limit: string]>()('FIN_ERR_ATTRIBUTES_TOO_LARGE',
  'The %s\'s attributes would hold %s, over the limit of %s', 400)
/** A create reuses an object_id that names an object under another parent (another conversation, another user). */
export const FinObjectIdConflictError = coded<[objectId: string, kind: string, parent: string]>()('FIN_ERR_OBJECT_ID_CONFLICT',
  'object_id %s is already used by a %s of another %s', 409)
export const FinBodyTooLargeError = coded<[limit: number]>()('FIN_ERR_BODY_TOO_LARGE', 'Request body is larger than %s bytes', 413)
export const FinUnsupportedMediaTypeError = coded<[contentType: string]>()('FIN_ERR_UNSUPPORTED_MEDIA_TYPE',
  'Unsupported Content-Type: %s (send application/json)', 415)
export const FinRateLimitedError = coded<[after: string]>()('FIN_ERR_RATE_LIMITED', 'Rate limit exceeded, retry in %s', 429)
export const FinAuthRateLimitedError = coded<[after: string]>()('FIN_ERR_AUTH_RATE_LIMITED',
  'Too many failed authentication attempts, retry in %s', 429)
export const FinInternalError = coded<[]>()('FIN_ERR_INTERNAL', 'Internal server error', 500)
export const FinRateLimitUnavailableError = coded<[]>()('FIN_ERR_RATE_LIMIT_UNAVAILABLE',
  'The rate limit store is unavailable, retry later', 503)
export const FinStorageUnavailableError = coded<[]>()('FIN_ERR_STORAGE_UNAVAILABLE',
  'Storage is unavailable, retry later', 503)
/** notifyFin was called after app.close() began: the event was not accepted. */
export const FinNotifyClosedError = coded<[]>()('FIN_ERR_NOTIFY_CLOSED', 'notifyFin is closed: the app is shutting down', 503)
/** notifyFin was called for an integration registered without `notify` options. */
export const FinNotifyNotConfiguredError = coded<[integration: string]>()('FIN_ERR_NOTIFY_NOT_CONFIGURED',
  'Integration "%s" has no `notify` options: give integrationId and webhookKey to notify Fin', 500)
/** Thrown at register time for options that cannot work. */
export const FinOptionsError = coded<[problem: string]>()('FIN_ERR_OPTIONS', 'Invalid fastify-fin-helpdesk options: %s', 500)
/** Thrown by `fin.events.on()` for an event name that does not exist. */
export const FinUnknownEventError = coded<[event: string]>()('FIN_ERR_UNKNOWN_EVENT', 'Unknown event "%s"', 500)

/**
 * Every error by its code, fastify core's `errorCodes` habit: `err instanceof errorCodes.FIN_ERR_RATE_LIMITED`,
 * or `err.code === 'FIN_ERR_RATE_LIMITED'`. docs/errors.md describes each.
 */
export const errorCodes = {
  FIN_ERR_VALIDATION: FinValidationError,
  FIN_ERR_INVALID_JSON: FinInvalidJsonError,
  FIN_ERR_BAD_REQUEST: FinBadRequestError,
  FIN_ERR_EMPTY_MESSAGE: FinEmptyMessageError,
  FIN_ERR_USER_MISMATCH: FinUserMismatchError,
  FIN_ERR_UNAUTHORIZED: FinUnauthorizedError,
  FIN_ERR_INVALID_SIGNATURE: FinInvalidSignatureError,
  FIN_ERR_USER_NOT_FOUND: FinUserNotFoundError,
  FIN_ERR_CONVERSATION_NOT_FOUND: FinConversationNotFoundError,
  FIN_ERR_AGENT_NOT_FOUND: FinAgentNotFoundError,
  FIN_ERR_ATTRIBUTES_TOO_LARGE: FinAttributesTooLargeError,
  FIN_ERR_OBJECT_ID_CONFLICT: FinObjectIdConflictError,
  FIN_ERR_BODY_TOO_LARGE: FinBodyTooLargeError,
  FIN_ERR_UNSUPPORTED_MEDIA_TYPE: FinUnsupportedMediaTypeError,
  FIN_ERR_RATE_LIMITED: FinRateLimitedError,
  FIN_ERR_AUTH_RATE_LIMITED: FinAuthRateLimitedError,
  FIN_ERR_INTERNAL: FinInternalError,
  FIN_ERR_RATE_LIMIT_UNAVAILABLE: FinRateLimitUnavailableError,
  FIN_ERR_STORAGE_UNAVAILABLE: FinStorageUnavailableError,
  FIN_ERR_NOTIFY_CLOSED: FinNotifyClosedError,
  FIN_ERR_NOTIFY_NOT_CONFIGURED: FinNotifyNotConfiguredError,
  FIN_ERR_OPTIONS: FinOptionsError,
  FIN_ERR_UNKNOWN_EVENT: FinUnknownEventError
}

/** The codes of this module's errors, read from its exports: adding an error extends it. */
type FinErrorCode = {
  [K in keyof typeof import('./errors.js')]: (typeof import('./errors.js'))[K] extends FastifyErrorConstructor<{ code: infer C extends string }> ? C : never
}[keyof typeof import('./errors.js')]

/** Errors raised at register time or in the host's code: never answered to Fin, so they have no problem title. */
type NotAnswered = 'FIN_ERR_OPTIONS' | 'FIN_ERR_UNKNOWN_EVENT' | 'FIN_ERR_NOTIFY_NOT_CONFIGURED'

// `satisfies` keeps this list in step with the errors: a new answered error without a title does not compile.
const titles: Record<string, string> = {
  FIN_ERR_VALIDATION: 'Invalid request',
  FIN_ERR_INVALID_JSON: 'Malformed JSON',
  FIN_ERR_BAD_REQUEST: 'Bad request',
  FIN_ERR_EMPTY_MESSAGE: 'Empty message',
  FIN_ERR_USER_MISMATCH: 'User does not match the conversation',
  FIN_ERR_UNAUTHORIZED: 'Unauthorized',
  FIN_ERR_INVALID_SIGNATURE: 'Invalid request signature',
  FIN_ERR_USER_NOT_FOUND: 'User not found',
  FIN_ERR_CONVERSATION_NOT_FOUND: 'Conversation not found',
  FIN_ERR_AGENT_NOT_FOUND: 'Agent not found',
  FIN_ERR_ATTRIBUTES_TOO_LARGE: 'Attributes too large',
  FIN_ERR_OBJECT_ID_CONFLICT: 'object_id already used elsewhere',
  FIN_ERR_BODY_TOO_LARGE: 'Request body too large',
  FIN_ERR_UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  FIN_ERR_RATE_LIMITED: 'Too many requests',
  FIN_ERR_AUTH_RATE_LIMITED: 'Too many failed authentication attempts',
  FIN_ERR_INTERNAL: 'Internal server error',
  FIN_ERR_STORAGE_UNAVAILABLE: 'Storage unavailable',
  FIN_ERR_RATE_LIMIT_UNAVAILABLE: 'Rate limit store unavailable',
  FIN_ERR_NOTIFY_CLOSED: 'Shutting down'
} satisfies Record<Exclude<FinErrorCode, NotAnswered>, string>

/** The RFC 7807 `title` of a code: one fixed summary per problem type. */
export function problemTitle (code: string): string {
  return titles[code] ?? 'Error'
}

/** The RFC 7807 `type` of a code: a URN naming it, documented in docs/errors.md. */
export function problemType (code: string): string {
  return `urn:fastify-fin-helpdesk:error:${code}`
}

export type { FastifyErrorConstructor }

/** True for the coded 4xx errors the storage contract lets adapters throw (not found, mismatch). */
export function isClientError (err: unknown): boolean {
  const { code, statusCode } = err as { code?: unknown, statusCode?: unknown }
  return typeof code === 'string' && code.startsWith('FIN_ERR_') && typeof statusCode === 'number' && statusCode < 500
}
