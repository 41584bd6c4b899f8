import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { InboxChange, InboxSync } from './client/types.js'

/** Where Fin stands on a conversation's latest change, from the notify outbox and its events. */
export type SyncStatus = InboxSync

export interface HubOptions {
  /** Open event streams per agent; a new one past it ends that agent's oldest. @default 4 */
  perAgent?: number
  /** Bytes a stream may have waiting for a client that stopped reading before it is dropped. @default 256 KiB */
  maxBuffered?: number
}

interface Stream {
  res: ServerResponse
  agentId: string
}

/**
 * The inbox's live state: the last known sync state per conversation, and the open event streams. Changes are
 * pushed to every stream as server-sent events. Emits 'dropped' (agentId, reason) when it ends a stream.
 */
export class InboxHub extends EventEmitter {
  readonly #streams = new Set<Stream>()
  readonly #sync = new Map<string, SyncStatus>()
  readonly #perAgent: number
  readonly #maxBuffered: number

  constructor (options: HubOptions = {}) {
    super()
    this.#perAgent = options.perAgent ?? 4
    this.#maxBuffered = options.maxBuffered ?? 256 * 1024
  }

  /** Records the state; returns whether it changed what the page shows. */
  setSync (conversationId: string, state: SyncStatus['state'], reason: string | null = null): void {
    // Delivered is what an unknown conversation shows: forgetting it keeps the map to conversations under way.
    if (state === 'delivered') this.#sync.delete(conversationId)
    else this.#sync.set(conversationId, { state, reason, at: new Date().toISOString() })
  }

  getSync (conversationId: string): SyncStatus | undefined {
    return this.#sync.get(conversationId)
  }

  /** Takes over a hijacked response as an event stream until the client or the server goes away. */
  attach (res: ServerResponse, agentId: string): void {
    const mine = [...this.#streams].filter((s) => s.agentId === agentId)
    // A tab left open elsewhere gives way to the new one.
    // It is told so, and does not reconnect (else two tabs would take turns forever).
    for (const old of mine.slice(0, Math.max(0, mine.length - this.#perAgent + 1))) this.#drop(old, 'too many streams', 'event: replaced\ndata: {}\n\n')
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no'
    })
    const stream = { res, agentId }
    this.#streams.add(stream)
    res.on('close', () => this.#streams.delete(stream))
    // A first comment flushes the headers, so the page knows the stream is open.
    this.#write(stream, ': open\n\n')
  }

  publish (change: InboxChange): void {
    const frame = `event: change\ndata: ${JSON.stringify(change)}\n\n`
    for (const stream of this.#streams) this.#write(stream, frame)
  }

  /** Keeps idle streams (and proxies between) from timing them out. */
  heartbeat (): void {
    for (const stream of this.#streams) this.#write(stream, ': ping\n\n')
  }

  streamsOf (agentId: string): number {
    return [...this.#streams].filter((s) => s.agentId === agentId).length
  }

  get streams (): number {
    return this.#streams.size
  }

  close (): void {
    for (const stream of this.#streams) stream.res.end()
    this.#streams.clear()
  }

  #write (stream: Stream, frame: string): void {
    stream.res.write(frame)
    // A client that stops reading: what waits for it grows; past the bound, the stream goes (it reconnects and
    // reloads when it reads again) instead of this process buffering every change for it.
    if (stream.res.writableLength > this.#maxBuffered) this.#drop(stream, 'client stopped reading')
  }

  /** With a last frame: ended after it; without (a client that stopped reading): cut off. */
  #drop (stream: Stream, reason: string, last?: string): void {
    this.#streams.delete(stream)
    if (last === undefined) stream.res.destroy()
    else stream.res.end(last)
    this.emit('dropped', stream.agentId, reason)
  }
}
