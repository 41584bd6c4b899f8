// The public entry: an explicit list, each name on purpose. README.md's "API" section lists the same names, and
// test/exports.test.ts fails when the two differ. Classes a user only receives (never constructs) are types.
import { finHelpdeskPlugin } from './plugin.js'

// The plugin and its options
export default finHelpdeskPlugin
export { finHelpdeskPlugin as finHelpdesk }
export type { FinHelpdeskPluginOptions } from './plugin.js'
export type { FinHelpdeskOptions } from './options.js'
export type { FinVariant } from './http/options.js'
export type { OperationName } from './operations.js'
export type { FinTokenVerifier, FinRateLimitOptions, FinAuthFailureLimitOptions } from './auth/options.js'
export type { FinOAuthOptions, FinOAuthClient } from './auth/oauth.js'
export type { FinSignatureOptions } from './auth/signature.js'
export type { FinNotifyOptions, FinClock } from './notify/options.js'
export type { FinRegion } from './notify/webhook.js'
export type { SanitizeOption } from './html.js'

// What the plugin decorates the app with: `fastify.fin` and `fastify.notifyFin`
export type { FinRegistry, FinIntegration, NotifyFin, NotifyCallOptions } from './decorators.js'
export type { FinWriteOptions } from './writes/writes.js'
export type { FinEvents, FinEventMap, FinEventName, FinEventListener } from './events.js'
export { FIN_EVENT_NAMES } from './events.js'
export type { FinNotifier, TypingAgent, NotifyStats, NotifyFailure } from './notify/notifier.js'

// Errors: every FIN_ERR_* class, for `instanceof` and `code` (docs/errors.md)
export {
  FinValidationError, FinInvalidJsonError, FinBadRequestError, FinEmptyMessageError, FinUserMismatchError,
  FinUnauthorizedError, FinInvalidSignatureError, FinUserNotFoundError, FinConversationNotFoundError,
  FinAgentNotFoundError, FinAttributesTooLargeError, FinObjectIdConflictError, FinBodyTooLargeError,
  FinUnsupportedMediaTypeError, FinRateLimitedError, FinAuthRateLimitedError, FinInternalError, FinRateLimitUnavailableError, FinStorageUnavailableError,
  FinNotifyClosedError, FinNotifyNotConfiguredError, FinOptionsError, FinUnknownEventError
} from './errors.js'

// Storage: the interface to implement, and the in-memory adapter (SQLite and PostgreSQL have their own paths)
export { MemoryStorage, type MemoryStorageOptions } from './storage/memory.js'
export type {
  FinStorage, AgentRecord, NewUser, UserPatch, NewMessage, NewConversation, ConversationPatch, Created,
  CreatedConversation, UpdatedConversation, StorageWriteOptions
} from './storage/types.js'
export { scanConversationViews, type ConversationViewQuery, type ConversationView, type ConversationViewPage } from './storage/views.js'
export { DEFAULT_ATTRIBUTE_LIMITS, checkAttributes, type FinAttributeLimits, type AttributeLimits } from './storage/attributes.js'

// The notify outbox: the interface to implement, and the in-memory one
export { MemoryOutbox, type FinOutbox, type OutboxEntry, type OutboxCounts } from './notify/outbox.js'

// Fin's data: TypeBox schemas (values) and their static types
export * as schemas from './schemas/index.js'
export type {
  EndUser, Agent, PostsOnlyAgent, Conversation, ConversationStatus, Message, PostsOnlyMessage, MessageVisibility,
  Attachment, AttachmentInput, MessageAuthor, CreateConversationResponse
} from './schemas/models.js'
export type {
  GetUserQuery, UpdateUserRequest, CreateUserRequest, GetConversationQuery, UpdateConversationRequest,
  MessageAuthorRef, CreateMessageRequest, CreateConversationInitialMessage, CreateConversationRequest,
  GetMessagesQuery, PostsOnlyBasicUser, PostsOnlyUpdateConversationRequest, PostsOnlyCreateConversationRequest
} from './schemas/requests.js'
export type { ProblemDetails, ErrorResponse } from './schemas/responses.js'

// Helpers for a host's own routes and clients
export { applyFinConventions } from './http/conventions.js'
export { sanitizeFinHtml, FIN_ALLOWED_TAGS } from './html.js'
export {
  signFinRequest, canonicalQuery, MemoryReplayStore, redisReplayStore,
  type FinRequestToSign, type FinQuery, type FinReplayStore, type FinReplayRedis
} from './auth/signature.js'
