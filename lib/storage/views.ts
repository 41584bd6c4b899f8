import { FinBadRequestError } from '../errors.js'
import type { Conversation, ConversationStatus, Message } from '../schemas/models.js'

/**
 * A filtered page of conversations for a host's own views (an agent inbox): newest change first, each with its
 * last message. Every filter given must hold; none given lists them all.
 */
export interface ConversationViewQuery {
  /** Only conversations in this status. */
  status?: ConversationStatus
  /** `null`: only unassigned conversations; an agent id: only that agent's. */
  assigneeId?: string | null
  /** Only these conversations (e.g. the ones the host marked as handed over); `[]` lists none. */
  ids?: readonly string[]
  /** Case-insensitive text found in the title, the user's name or the user's email. */
  search?: string
  /** `nextCursor` of the previous page. */
  cursor?: string | null
  /** At most this many (1 to 200). @default 50 */
  limit?: number
}

export interface ConversationView {
  conversation: Conversation
  /** The newest message, or null for a conversation without one. */
  lastMessage: Message | null
}

export interface ConversationViewPage {
  conversations: ConversationView[]
  /** Pass it as `cursor` for the next page; null on the last page. */
  nextCursor: string | null
}

/** A position in the order (updated_at DESC, id DESC): the last conversation of a page. */
export interface ViewPosition {
  updatedAt: string
  id: string
}

export const MAX_VIEW_LIMIT = 200

export function viewLimit (query: ConversationViewQuery): number {
  const limit = query.limit ?? 50
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_VIEW_LIMIT) throw new FinBadRequestError(`limit must be an integer from 1 to ${MAX_VIEW_LIMIT}`)
  return limit
}

export function encodeViewCursor (position: ViewPosition): string {
  return Buffer.from(JSON.stringify([position.updatedAt, position.id])).toString('base64url')
}

/** The cursor's position; a cursor this code did not make is a 400, never a query on garbage. */
export function decodeViewCursor (cursor: string | null | undefined): ViewPosition | null {
  if (cursor === undefined || cursor === null || cursor === '') return null
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') return { updatedAt: value[0], id: value[1] }
  } catch {}
  throw new FinBadRequestError('cursor is not one this storage returned')
}

/** The text to look for, trimmed; undefined when there is none. */
export function searchText (query: ConversationViewQuery): string | undefined {
  const text = query.search?.trim()
  return text === undefined || text === '' ? undefined : text.toLowerCase()
}

/** Fetched one more than the limit: the extra row only says there is a next page. */
export function toPage (views: ConversationView[], limit: number): ConversationViewPage {
  if (views.length <= limit) return { conversations: views, nextCursor: null }
  const page = views.slice(0, limit)
  const last = page[limit - 1]!.conversation
  return { conversations: page, nextCursor: encodeViewCursor({ updatedAt: last.updated_at ?? '', id: last.id }) }
}

/**
 * The views answered from any storage's other methods: every conversation read and filtered here, and one
 * listMessages per conversation shown. MemoryStorage's answer; the SQL adapters answer from an index instead.
 */
/** What scanConversationViews reads: two methods of FinStorage (named here, so types.ts and this file do not import each other). */
export interface ViewSource {
  listConversations: (options?: { limit?: number }) => Promise<Conversation[]>
  listMessages: (conversationId: string) => Promise<Message[] | null>
}

export async function scanConversationViews (storage: ViewSource, query: ConversationViewQuery): Promise<ConversationViewPage> {
  const limit = viewLimit(query)
  const after = decodeViewCursor(query.cursor)
  const search = searchText(query)
  const ids = query.ids === undefined ? undefined : new Set(query.ids)
  const all = await storage.listConversations({ limit: Number.MAX_SAFE_INTEGER })
  const matching = all.filter((c) =>
    (query.status === undefined || c.status === query.status) &&
    (query.assigneeId === undefined || (query.assigneeId === null ? c.assignee === undefined : c.assignee?.id === query.assigneeId)) &&
    (ids === undefined || ids.has(c.id)) &&
    (search === undefined || [c.title, c.user.name, c.user.email].some((field) => field?.toLowerCase().includes(search) === true)))
    .sort(byNewest)
    .filter((c) => after === null || isAfter(c, after))
    .slice(0, limit + 1)
  const views = await Promise.all(matching.map(async (conversation) => ({
    conversation,
    lastMessage: (await storage.listMessages(conversation.id))?.at(-1) ?? null
  })))
  return toPage(views, limit)
}

function byNewest (a: Conversation, b: Conversation): number {
  const au = a.updated_at ?? ''
  const bu = b.updated_at ?? ''
  if (au !== bu) return au < bu ? 1 : -1
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0
}

function isAfter (c: Conversation, position: ViewPosition): boolean {
  const updated = c.updated_at ?? ''
  return updated < position.updatedAt || (updated === position.updatedAt && c.id < position.id)
}
