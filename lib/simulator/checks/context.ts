import { randomUUID } from 'node:crypto'
import type { TSchema } from '@sinclair/typebox'
import type { OperationName } from '../../operations.js'
import type { FinCallInit, FinClient, FinResponse, FinVariantName } from '../client.js'
import type { Severity } from './report.js'
import { compareShape, type Finding } from './shape.js'

export type Rec = Record<string, any>

/** What marks the records the checker creates as test data (see docs/testing-your-integration.md). */
export const TEST_DATA_MARK = '[fin-helpdesk-check]'

/** A response, with the request that got it in a line. */
export interface Exchange extends FinResponse {
  sent: string
}

/** What a check found. */
export interface Outcome {
  ok: boolean
  sent: string
  expected: string
  actual: string
  hint?: string
  /** A failure lighter than the check's severity (e.g. a 2xx where a 4xx was wanted, when only a 5xx is an error). */
  severity?: Severity
}

export interface WebhookCheckOptions {
  port: number
  integrationId: string
  webhookKey: string
  /** ms. @default 120000 */
  timeout?: number
}

/** Thrown when a check has nothing to look at (an earlier one did not create what it needs): it is "not checked". */
export class NotRun extends Error {}

/** The objects the reference describes, for the warnings gathered from every answer. */
export type ObjectKind = 'agent' | 'user' | 'conversation' | 'message'

/** Shared by the checks of one run: the client, what earlier checks created, the warnings gathered. */
export class CheckContext {
  readonly run = randomUUID().slice(0, 8)
  readonly posts: boolean
  /** Created by earlier checks. */
  agent: Rec | undefined
  user: Rec | undefined
  conversationId: string | undefined
  conversation: { id: string, input: Rec } | undefined
  /** Every message of the conversation, in creation order (the initial one first). */
  readonly messageIds: string[] = []
  /** Soft findings per object kind, for the `*.reference` warnings. */
  readonly findings: Record<ObjectKind, Array<Finding & { sent: string }>> = { agent: [], user: [], conversation: [], message: [] }
  /** Answers of the right shape compared with the reference, per object kind: none, and `*.reference` saw nothing. */
  readonly compared: Record<ObjectKind, number> = { agent: 0, user: 0, conversation: 0, message: 0 }
  /** POST-only successes that were not a `{ data }` envelope. */
  readonly envelopeProblems: Array<{ sent: string, actual: string }> = []
  /** POST-only successes seen: none means `envelope.data` saw nothing. */
  successes = 0
  readonly #memo = new Map<string, Promise<unknown>>()

  constructor (readonly client: FinClient, readonly options: { signingSecret?: string, webhook?: WebhookCheckOptions, onNotice?: (message: string) => void } = {}) {
    this.posts = client.variant === 'posts-only'
  }

  /** A unique object_id marked as the checker's. */
  mark (kind: string): string {
    return `fin-helpdesk-check-${this.run}-${kind}-${randomUUID().slice(0, 8)}`
  }

  async call (operation: OperationName, input: Rec = {}, init: FinCallInit = {}): Promise<Exchange> {
    const { method, url } = this.client.url(operation)
    const path = new URL(url).pathname
    const shown = init.rawBody ?? (Object.keys(input).length === 0 ? '' : method === 'GET' ? `?${new URLSearchParams(input)}` : JSON.stringify(input))
    const sent = `${method} ${path}${method === 'GET' || shown === '' ? '' : ' '}${shorten(shown, 160)}`
    const res = await this.client.call(operation, input, init)
    if (this.posts && res.status >= 200 && res.status < 300) {
      this.successes++
      const body = res.body as Rec | undefined
      const bad = body === undefined || body === null || typeof body !== 'object' || !('data' in body)
        ? 'no { data } envelope'
        : body.error !== undefined && body.error !== null ? 'an error member on a success' : undefined
      if (bad !== undefined) this.envelopeProblems.push({ sent, actual: `HTTP ${res.status}, ${bad}: ${shorten(res.text, 120)}` })
    }
    return { ...res, sent }
  }

  /** Runs `fn` once per run, whichever check asks first. */
  once<T> (key: string, fn: () => Promise<T>): Promise<T> {
    if (!this.#memo.has(key)) this.#memo.set(key, fn())
    return this.#memo.get(key) as Promise<T>
  }

  need<T> (value: T | undefined, what: string): T {
    if (value === undefined) throw new NotRun(`needs ${what}, which an earlier check could not create`)
    return value
  }

  /**
   * Compares an answer with the reference: errors are returned (they fail the asking check); warnings are kept for
   * the kind's `*.reference` check. `sentFields` are optional fields that were sent and should come back.
   */
  shape (kind: ObjectKind, schema: TSchema, value: unknown, sent: string, label?: string, sentFields: Rec = {}): Finding[] {
    const findings = compareShape(schema, value, label)
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, given] of Object.entries(sentFields)) {
        if (given !== undefined && given !== null && (value as Rec)[key] === undefined) findings.push({ severity: 'warning', text: `${key} was sent but is not returned` })
      }
    }
    for (const f of findings) if (f.severity === 'warning') this.findings[kind].push({ ...f, sent })
    const errors = findings.filter((f) => f.severity === 'error')
    // An answer of the wrong shape (its check fails) is not one the `*.reference` check can say is fine.
    if (errors.length === 0) this.compared[kind]++
    return errors
  }
}

export function shorten (text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ')
  return flat.length <= max ? flat : `${flat.slice(0, max)}… (${text.length} characters)`
}

/** `HTTP 404: {"code":…}`, shortened. */
export function answered (res: FinResponse, max = 160): string {
  return res.text === '' ? `HTTP ${res.status}, no body` : `HTTP ${res.status}: ${shorten(res.text, max)}`
}

export const is2xx = (status: number): boolean => status >= 200 && status < 300
export const is4xx = (status: number): boolean => status >= 400 && status < 500

/** A refusal: 401 or 403; or 429 with Retry-After (a helpdesk limiting failed authentications refuses that way too). */
export const isRefusal = (res: FinResponse): boolean => res.status === 401 || res.status === 403 || (res.status === 429 && res.headers.has('retry-after'))

/** A failure below 500 weighs a warning: only a 5xx (or no answer) is an error. */
export const lighter = (res: { status: number }): Pick<Outcome, 'severity'> => (res.status < 500 ? { severity: 'warning' } : {})

/**
 * For input a helpdesk may refuse or take (the reference sets no rule): a 5xx is an error (the helpdesk broke), a 2xx
 * where this project answers a 4xx is a warning, a 4xx is what was wanted.
 */
export function survived (res: Exchange, expected = 'HTTP 4xx (a 2xx is a warning; a 5xx an error)'): Outcome {
  return {
    ok: is4xx(res.status),
    sent: res.sent,
    expected,
    actual: answered(res, 120),
    ...(res.status < 500 ? { severity: 'warning' as const } : {})
  }
}
/** One row of the check table. */
export interface CheckDefinition {
  id: string
  /** The weight of a failure. */
  severity: Severity
  /** Set when a lesser failure (e.g. a 2xx where a 4xx was wanted, a 5xx being the error) is reported as a warning. */
  lesser?: 'warning'
  /** Why that severity, in one line: the reference's rule it enforces, or the choice it is. */
  why: string
  /** What the check wants, in a sentence. */
  name: string
  /** Only in this variant (in the other it does not exist, and is not listed). */
  variant?: FinVariantName
  /** Why it cannot be checked in this run (e.g. no signing secret given), or undefined when it can. */
  unless?: (ctx: CheckContext) => string | undefined
  run: (ctx: CheckContext) => Promise<Outcome>
}

/** The first error finding in plain words, or what was found. */
export function verdict (findings: Finding[], otherwise: string | undefined): { ok: boolean, actual: string, hint?: string } {
  const first = findings[0]
  if (first !== undefined) return { ok: false, actual: findings.map((f) => f.text).slice(0, 3).join('; '), hint: first.hint }
  return otherwise === undefined ? { ok: true, actual: 'as expected' } : { ok: false, actual: otherwise }
}
