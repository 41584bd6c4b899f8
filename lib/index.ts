import { finHelpdeskPlugin } from './plugin.js'

export default finHelpdeskPlugin
export { finHelpdeskPlugin as finHelpdesk }
export type { FinHelpdeskPluginOptions } from './plugin.js'
export type { FinHelpdeskOptions } from './options.js'
export type { FinTokenVerifier, FinRateLimitOptions, FinAuthFailureLimitOptions } from './auth/options.js'
export { DEFAULT_RATE_LIMIT, DEFAULT_AUTH_FAILURE_LIMIT } from './auth/options.js'
export { DEFAULT_BODY_LIMIT, type FinVariant } from './http/options.js'
export { OPERATIONS, STANDARD_ROUTES, POSTS_ONLY_PATHS, type OperationName } from './operations.js'
export * from './errors.js'
export { FinEvents, FIN_EVENT_NAMES, type FinEventMap, type FinEventName, type FinEventListener } from './events.js'
export { FinRegistry, type FinIntegration } from './decorators.js'
export { sanitizeFinHtml, createSanitizer, FIN_ALLOWED_TAGS, type SanitizeOption } from './html.js'
export { MAX_ATTRIBUTE_DEPTH, MAX_BODY_DEPTH } from './http/validation.js'
export { MemoryStorage, type MemoryStorageOptions } from './storage/memory.js'
export type * from './storage/types.js'
export * as schemas from './schemas/index.js'
export type {
  EndUser, Agent, PostsOnlyAgent, Conversation, ConversationStatus, Message, PostsOnlyMessage, MessageVisibility,
  Attachment, AttachmentInput, MessageAuthor, CreateConversationResponse
} from './schemas/models.js'
export type * from './schemas/requests.js'
export type { ProblemDetails, ErrorResponse } from './schemas/responses.js'
export { FinNotifier, type TypingAgent, type NotifyStats, type NotifyFailure } from './notify/notifier.js'
export type { NotifyFin, NotifyCallOptions } from './decorators.js'
export { MemoryOutbox, type FinOutbox, type OutboxEntry, type OutboxCounts } from './notify/outbox.js'
export { systemClock, type FinNotifyOptions, type FinClock } from './notify/options.js'
export { REGION_BASE_URLS, webhookUrl, type FinRegion } from './notify/webhook.js'
export { applyFinConventions } from './http/conventions.js'
export type { FinOAuthOptions, FinOAuthClient } from './auth/oauth.js'
export {
  sortedQuery, canonicalQuery, signFinRequest, MemoryReplayStore, redisReplayStore,
  type FinSignatureOptions, type FinRequestToSign, type FinQuery, type FinReplayStore, type FinReplayRedis
} from './auth/signature.js'
