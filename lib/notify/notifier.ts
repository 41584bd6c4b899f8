import type { FastifyBaseLogger } from 'fastify'
import { FinNotifyClosedError, FinOptionsError, FinValidationError } from '../errors.js'
import type { FinEvents } from '../events.js'
import { retryDelay } from './backoff.js'
import type { NotifyTelemetry } from './telemetry.js'
import type { ResolvedNotifyOptions } from './options.js'
import type { FinOutbox, OutboxEntry } from './outbox.js'
import { postEvent, type WebhookResult } from './webhook.js'

/** The agent shown as typing: Fin requires all four fields. */
export interface TypingAgent {
  id: string
  name: string
  email: string
  user_type?: 'agent'
}

export interface NotifyStats {
  /** Syncs waiting in the outbox (coalescing, or between retries). */
  pending: number
  /** Webhook calls under way in this process. */
  in_flight: number
  /** Webhook calls Fin accepted since this process started. */
  delivered: number
  /** Syncs given up on, kept in the outbox for inspection until the next call for their conversation. */
  failed: number
}

export interface NotifyFailure {
  conversation_id: string
  attempts: number
  status: number | null
  reason: string
  failed_at: string
}

/** The checked notify options with the outbox to use (the plugin makes one when none was given, and closes it). */
export type NotifierOptions = ResolvedNotifyOptions & { outbox: FinOutbox }

/** What a FinNotifier is made of. */
export interface FinNotifierParts {
  options: NotifierOptions
  /** The integration's name, carried by the events. */
  integration: string
  events: FinEvents
  log: FastifyBaseLogger
  telemetry?: NotifyTelemetry | undefined
}

/**
 * Delivers one integration's conversation events to Fin. Syncs go through the outbox: coalesced per conversation,
 * retried with capped exponential backoff and full jitter until `maxAge`, at least once. Typing events are
 * throttled, never stored, and dropped once stale. See docs/notify.md.
 */
export class FinNotifier {
  readonly #options: NotifierOptions
  readonly #integration: string
  readonly #events: FinEvents
  readonly #log: FastifyBaseLogger
  readonly #syncs = new Map<string, AbortController>()
  readonly #typing = new Set<AbortController>()
  readonly #typingTimers = new Set<unknown>()
  readonly #typingLast = new Map<string, number>()
  readonly #tasks = new Set<Promise<void>>()
  #timer: unknown = undefined
  #timerAt = Infinity
  #pumping = false
  #again = false
  #closed = false
  #delivered = 0

  readonly #telemetry: NotifyTelemetry | undefined

  constructor ({ options, integration, events, log, telemetry }: FinNotifierParts) {
    this.#options = options
    this.#telemetry = telemetry
    this.#integration = integration
    this.#events = events
    this.#log = log
  }

  /** Picks up what an earlier run left in the outbox, then starts delivering. */
  async start (): Promise<void> {
    await this.#options.outbox.recover?.(this.#options.clock.now())
    this.#kick()
  }

  /** Accepts a sync for the conversation: resolves once it is in the outbox, not when Fin answers. */
  async sync (conversationId: string): Promise<void> {
    if (this.#closed) throw new FinNotifyClosedError()
    assertId(conversationId, 'conversationId')
    const now = this.#options.clock.now()
    await this.#options.outbox.request({ conversationId, now, window: this.#options.coalesceWindow, traceContext: this.#telemetry?.created(conversationId) })
    this.#wakeAt(now + this.#options.coalesceWindow)
    this.queued(conversationId)
  }

  /** Announces a committed sync (`notify.queued`): after sync(), or after the transaction syncIn() joined commits. */
  queued (conversationId: string): void {
    this.#events.emit('notify.queued', { integration: this.#integration, kind: 'sync', conversation_id: conversationId })
  }

  /**
   * Accepts a sync inside the caller's open transaction (see FinOutbox.requestIn): it is delivered only if that
   * transaction commits. Not async on purpose: on a synchronous transaction (SQLite, memory) a failure throws
   * into it, so it rolls back; on PostgreSQL the promise settles with the insert.
   */
  syncIn (transaction: unknown, conversationId: string): void | Promise<void> {
    if (this.#closed) throw new FinNotifyClosedError()
    assertId(conversationId, 'conversationId')
    const { outbox, clock, coalesceWindow } = this.#options
    if (outbox.requestIn === undefined) throw new FinOptionsError('this notify outbox cannot join a transaction: it has no requestIn()')
    const now = clock.now()
    const done = outbox.requestIn(transaction, { conversationId, now, window: coalesceWindow, traceContext: this.#telemetry?.created(conversationId) })
    // Woken now, whether or not the transaction commits: a rolled-back entry is simply not found.
    this.#wakeAt(now + coalesceWindow)
    return done
  }

  /** Whether the outbox can write inside this transaction (FinOutbox.requestIn and joins). */
  joins (transaction: unknown): boolean {
    const { outbox } = this.#options
    return outbox.requestIn !== undefined && (outbox.joins?.(transaction) ?? true)
  }

  /** Sends a typing indicator now; false when one for this conversation and agent went out within the throttle. */
  async typing (conversationId: string, agent: TypingAgent): Promise<boolean> {
    if (this.#closed) throw new FinNotifyClosedError()
    assertId(conversationId, 'conversationId')
    for (const field of ['id', 'name', 'email'] as const) assertId(agent?.[field], `agent.${field}`)
    const now = this.#options.clock.now()
    const key = `${conversationId}\u0000${agent.id}`
    const last = this.#typingLast.get(key)
    if (last !== undefined && now - last < this.#options.typingThrottle) return false
    this.#typingLast.set(key, now)
    if (this.#typingLast.size > 10_000) {
      for (const [k, at] of this.#typingLast) if (now - at >= this.#options.typingThrottle) this.#typingLast.delete(k)
    }
    this.#track(this.#sendTyping(conversationId, { id: agent.id, user_type: 'agent', name: agent.name, email: agent.email }, now, 1))
    return true
  }

  async stats (): Promise<NotifyStats> {
    const counts = await this.#options.outbox.counts()
    return { pending: counts.pending, in_flight: this.#syncs.size + this.#typing.size, delivered: this.#delivered, failed: counts.failed }
  }

  async failures (): Promise<NotifyFailure[]> {
    return (await this.#options.outbox.failures()).map((entry) => ({
      conversation_id: entry.conversation_id,
      attempts: entry.attempt,
      status: entry.last_status,
      reason: entry.last_error ?? 'unknown',
      failed_at: new Date(entry.updated_at).toISOString()
    }))
  }

  /**
   * Stops taking events, lets in-flight deliveries finish within `drainTimeout`, then abandons the rest to the
   * outbox (due again at once, for the next start) and drops pending typing retries.
   */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#options.clock.clearTimeout(this.#timer)
    for (const timer of this.#typingTimers) this.#options.clock.clearTimeout(timer)
    let deadline: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      Promise.allSettled([...this.#tasks]).then(() => false),
      new Promise<boolean>((resolve) => { deadline = setTimeout(() => resolve(true), this.#options.drainTimeout) })
    ])
    clearTimeout(deadline)
    if (timedOut) {
      const abandoned = [...this.#syncs.keys()]
      for (const controller of [...this.#syncs.values(), ...this.#typing]) controller.abort()
      await this.#options.outbox.release(abandoned, this.#options.clock.now())
      await Promise.allSettled([...this.#tasks])
      if (abandoned.length > 0) this.#log.warn({ conversations: abandoned }, 'fastify-fin-helpdesk: syncs still in flight at close went back to the outbox')
    }
  }

  #wakeAt (at: number): void {
    if (this.#closed || at >= this.#timerAt) return
    this.#options.clock.clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timerAt = Infinity
      this.#kick()
    }, Math.max(0, at - this.#options.clock.now()))
  }

  async #pump (): Promise<void> {
    if (this.#closed) return
    if (this.#pumping) {
      this.#again = true
      return
    }
    this.#pumping = true
    const { outbox, clock } = this.#options
    try {
      do {
        this.#again = false
        const free = this.#options.concurrency - this.#syncs.size
        if (free > 0) {
          for (const entry of await outbox.claim(clock.now(), free, this.#options.lease)) {
            // A lease that ran out while our own call is still under way: keep one call per conversation.
            if (!this.#syncs.has(entry.conversation_id)) this.#track(this.#deliver(entry))
          }
        }
      } while (this.#again && !this.#closed)
      const next = await outbox.nextDueAt()
      const now = clock.now()
      // At capacity, work that is already due waits for a delivery to finish (which wakes the loop): arming a
      // timer for it would spin. Not at capacity, what is due now and was not claimed is a lease that ends this very
      // millisecond (nextDueAt names its end; claim takes it over once it has passed): a millisecond later, not a spin.
      const atCapacity = this.#syncs.size >= this.#options.concurrency
      const wake = next === null || (atCapacity && next <= now) ? Infinity : Math.max(next, now + 1)
      this.#wakeAt(Math.min(wake, now + this.#options.pollInterval))
    } catch (err) {
      this.#log.error({ err }, 'fastify-fin-helpdesk: the notify outbox failed; retrying')
      this.#wakeAt(clock.now() + this.#options.pollInterval)
    } finally {
      this.#pumping = false
    }
  }

  async #deliver (entry: OutboxEntry): Promise<void> {
    const { outbox, clock } = this.#options
    const id = entry.conversation_id
    const controller = new AbortController()
    this.#syncs.set(id, controller)
    const attempt = entry.attempt + 1
    const started = clock.now()
    const traced = this.#telemetry?.attempt('sync', id, attempt, this.#options.url, entry.trace_context)
    try {
      const send = (): Promise<WebhookResult> => postEvent(this.#options.url, this.#options.webhookKey, { conversation_id: id }, this.#options.timeout, controller.signal, () => clock.now(), traced?.headers)
      const result = await (traced === undefined ? send() : traced.run(send))
      if (controller.signal.aborted) { // abandoned at close: released to the outbox
        traced?.end('retry', null, 'abandoned at close')
        return
      }
      const now = clock.now()
      if (result.outcome === 'accepted') {
        traced?.end('delivered', result.status)
        const again = await outbox.complete(id, now, this.#options.coalesceWindow)
        this.#delivered++
        this.#events.emit('notify.sent', { integration: this.#integration, kind: 'sync', conversation_id: id, attempt, status: result.status, latency_ms: now - started })
        if (again) this.#wakeAt(now + this.#options.coalesceWindow)
        return
      }
      if (result.outcome === 'retry') {
        // A delay that would pass maxAge becomes one last attempt at the deadline.
        const deadline = entry.first_at + this.#options.maxAge
        const wanted = now + retryDelay(result.retryAfter, attempt, this.#options, this.#options.random)
        const at = Math.min(wanted, deadline)
        const delay = at - now
        if (wanted <= deadline || now < deadline) {
          traced?.end('retry', result.status, result.error)
          await outbox.reschedule({ conversationId: id, dueAt: at, attempt, status: result.status, error: result.error, now })
          this.#events.emit('notify.retry', { integration: this.#integration, kind: 'sync', conversation_id: id, attempt, status: result.status, error: result.error, delay_ms: delay })
          this.#log.warn({ conversation: id, attempt, status: result.status, error: result.error, delay }, 'fastify-fin-helpdesk: Fin webhook failed, will retry')
          this.#wakeAt(now + delay)
          return
        }
      }
      const reason = result.outcome === 'rejected'
        ? `rejected by Fin: ${result.error}`
        : `gave up after ${attempt} attempts (max age ${this.#options.maxAge} ms): ${result.error}`
      traced?.end('failed', result.status, reason)
      await outbox.fail({ conversationId: id, attempt, status: result.status, error: reason, now })
      this.#events.emit('notify.failed', { integration: this.#integration, kind: 'sync', conversation_id: id, attempt, status: result.status, reason })
      this.#log.error({ conversation: id, attempt, status: result.status, reason }, 'fastify-fin-helpdesk: gave up notifying Fin')
    } catch (err) {
      // The outbox failed to record the outcome: the entry stays claimed and comes back when its lease ends.
      this.#log.error({ err, conversation: id }, 'fastify-fin-helpdesk: could not record a delivery in the outbox')
    } finally {
      this.#syncs.delete(id)
      this.#kick()
    }
  }

  async #sendTyping (conversationId: string, agent: Required<TypingAgent>, createdAt: number, attempt: number): Promise<void> {
    const controller = new AbortController()
    this.#typing.add(controller)
    const base = { integration: this.#integration, kind: 'typing' as const, conversation_id: conversationId, attempt }
    try {
      const body = { conversation_id: conversationId, event_type: 'agent_typing', data: { agent } }
      const started = this.#options.clock.now()
      const traced = this.#telemetry?.attempt('agent_typing', conversationId, attempt, this.#options.url, undefined)
      const send = (): Promise<WebhookResult> => postEvent(this.#options.url, this.#options.webhookKey, body, this.#options.timeout, controller.signal, () => this.#options.clock.now(), traced?.headers)
      const result = await (traced === undefined ? send() : traced.run(send))
      if (controller.signal.aborted) {
        traced?.end('failed', null, 'abandoned at close')
        return
      }
      const now = this.#options.clock.now()
      if (result.outcome === 'accepted') {
        traced?.end('delivered', result.status)
        this.#events.emit('notify.sent', { ...base, status: result.status, latency_ms: now - started })
        return
      }
      let reason = `rejected by Fin: ${result.error}`
      if (result.outcome === 'retry') {
        const delay = retryDelay(result.retryAfter, attempt, this.#options, this.#options.random)
        if (now + delay - createdAt < this.#options.typingStaleAfter && !this.#closed) {
          traced?.end('retry', result.status, result.error)
          this.#events.emit('notify.retry', { ...base, status: result.status, error: result.error, delay_ms: delay })
          const timer = this.#options.clock.setTimeout(() => {
            this.#typingTimers.delete(timer)
            this.#track(this.#sendTyping(conversationId, agent, createdAt, attempt + 1))
          }, delay)
          this.#typingTimers.add(timer)
          return
        }
        reason = `dropped: stale after ${now - createdAt} ms (${result.error})`
      }
      traced?.end('failed', result.status, reason)
      this.#events.emit('notify.failed', { ...base, status: result.status, reason })
      this.#log.warn({ conversation: conversationId, reason }, 'fastify-fin-helpdesk: typing event not delivered')
    } finally {
      this.#typing.delete(controller)
    }
  }

  #track (task: Promise<void>): void {
    this.#tasks.add(task)
    const forget = (): void => { this.#tasks.delete(task) }
    task.then(forget, forget)
  }

  /** Runs the delivery loop without waiting for it (it reports its own failures). */
  #kick (): void {
    this.#pump().catch((err: unknown) => this.#log.error({ err }, 'fastify-fin-helpdesk: notify loop failed'))
  }
}

function assertId (value: unknown, name: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new FinValidationError(`${name} must be a non-empty string of at most 255 characters`)
  }
}
