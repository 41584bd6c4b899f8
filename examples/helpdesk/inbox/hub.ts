import type { ServerResponse } from 'node:http'
import type { InboxChange, InboxSync } from './client/types.js'

/** Where Fin stands on a conversation's latest change, from the notify outbox and its events. */
export type SyncStatus = InboxSync

/**
 * The inbox's live state: the last known sync state per conversation, and the open event streams. Changes are
 * pushed to every stream as server-sent events.
 */
export class InboxHub {
  readonly #streams = new Set<ServerResponse>()
  readonly #sync = new Map<string, SyncStatus>()

  setSync (conversationId: string, state: SyncStatus['state'], reason: string | null = null): void {
    // Delivered is what an unknown conversation shows: forgetting it keeps the map to conversations under way.
    if (state === 'delivered') this.#sync.delete(conversationId)
    else this.#sync.set(conversationId, { state, reason, at: new Date().toISOString() })
    this.publish({ kind: 'sync', conversation_id: conversationId })
  }

  getSync (conversationId: string): SyncStatus | undefined {
    return this.#sync.get(conversationId)
  }

  /** Takes over a hijacked response as an event stream until the client or the server goes away. */
  attach (res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no'
    })
    // A first comment flushes the headers, so the page knows the stream is open.
    res.write(': open\n\n')
    this.#streams.add(res)
    res.on('close', () => this.#streams.delete(res))
  }

  publish (change: InboxChange): void {
    const frame = `event: change\ndata: ${JSON.stringify(change)}\n\n`
    for (const res of this.#streams) res.write(frame)
  }

  /** Keeps idle streams (and proxies between) from timing them out. */
  heartbeat (): void {
    for (const res of this.#streams) res.write(': ping\n\n')
  }

  get streams (): number {
    return this.#streams.size
  }

  close (): void {
    for (const res of this.#streams) res.end()
    this.#streams.clear()
  }
}
