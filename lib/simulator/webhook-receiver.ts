import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request to Fin's webhook, as it arrived. */
export interface WebhookRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  /** The raw body. */
  text: string
  /** The parsed JSON body (undefined when it is not JSON). */
  body: unknown
}

/** A webhook event Fin accepted. */
export interface WebhookEvent {
  conversation_id: string
  event_type: string | null
  agent?: Record<string, unknown>
  at: number
}

export interface FinWebhookReceiverOptions {
  integrationId: string
  webhookKey: string
  /** @default 0 (any free port) */
  port?: number
  /** Every request, before it is judged: answer it yourself (fault injection) by returning true. */
  onRequest?: (request: WebhookRequest, res: ServerResponse) => boolean
  /** Each accepted event, after the 200 was sent. */
  onEvent?: (event: WebhookEvent, request: WebhookRequest) => void
  /** Each refused request, with why. */
  onRefused?: (problem: string, request: WebhookRequest) => void
}

/**
 * Fin's side of the helpdesk's webhook, on 127.0.0.1: checks the path with the integration id, X-Webhook-Key and a
 * JSON body with `conversation_id`, answers 200 (or 404/401/400 naming the problem) and reports each event.
 * The simulator, the checker and the tests all receive webhooks through this one class.
 */
export class FinWebhookReceiver {
  readonly requests: WebhookRequest[] = []
  readonly events: WebhookEvent[] = []
  readonly #options: FinWebhookReceiverOptions
  readonly #server: Server
  #url: string | undefined

  constructor (options: FinWebhookReceiverOptions) {
    this.#options = options
    this.#server = createServer((req, res) => { this.#handle(req, res) })
  }

  /** The path Fin's webhook has for this integration. */
  get path (): string {
    return `/custom_helpdesk_conversation_event/${encodeURIComponent(this.#options.integrationId)}`
  }

  /** Base URL to configure as the helpdesk's notify `baseUrl` (after `listen()`). */
  get url (): string {
    if (this.#url === undefined) throw new Error('listen() first')
    return this.#url
  }

  get server (): Server {
    return this.#server
  }

  async listen (): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(this.#options.port ?? 0, '127.0.0.1', resolve))
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this.#url
  }

  async close (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #handle (req: IncomingMessage, res: ServerResponse): void {
    let text = ''
    req.on('data', (chunk: Buffer) => { text += chunk.toString() })
    req.on('end', () => {
      let body: unknown
      try { body = text === '' ? undefined : JSON.parse(text) } catch { body = undefined }
      const request: WebhookRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, text, body }
      this.requests.push(request)
      if (this.#options.onRequest?.(request, res) === true) return
      const refuse = (status: number, problem: string): void => {
        this.#options.onRefused?.(problem, request)
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: problem }))
      }
      if (request.method !== 'POST' || request.path !== this.path) return refuse(404, `webhook to ${request.method} ${request.path}, expected POST ${this.path}`)
      if (req.headers['x-webhook-key'] !== this.#options.webhookKey) return refuse(401, 'webhook with a wrong X-Webhook-Key')
      if (body === undefined) return refuse(400, 'webhook body is not JSON')
      const payload = (body ?? {}) as { conversation_id?: unknown, event_type?: unknown, data?: { agent?: Record<string, unknown> } }
      if (typeof payload.conversation_id !== 'string') return refuse(400, 'webhook without conversation_id')
      const event: WebhookEvent = {
        conversation_id: payload.conversation_id,
        event_type: typeof payload.event_type === 'string' ? payload.event_type : null,
        agent: payload.data?.agent,
        at: Date.now()
      }
      this.events.push(event)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      this.#options.onEvent?.(event, request)
    })
  }
}
