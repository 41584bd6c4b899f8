import { signFinRequest, type FinQuery } from '../auth/signature.js'
import { POSTS_ONLY_PATHS, STANDARD_ROUTES, type OperationName } from '../operations.js'

export type FinVariantName = 'standard' | 'posts-only'

export interface FinOAuthCredentials {
  tokenUrl: string
  clientId: string
  clientSecret: string
}

export interface FinClientOptions {
  /** The helpdesk's base URL, e.g. https://helpdesk.example/api/fin (can be set later: `client.baseUrl = …`). */
  baseUrl: string
  /** A static bearer token; or `oauth`, to fetch tokens the way Fin does. */
  token?: string
  oauth?: FinOAuthCredentials
  /** Sign every request as Fin does (X-Fin-Request-Timestamp, X-Fin-Signature) with this HMAC key. */
  signingSecret?: string
  /** @default 'standard' */
  variant?: FinVariantName
  /** Paths per operation, when the helpdesk chose its own (as entered in the Fin Deployment UI). */
  paths?: Partial<Record<OperationName, string>>
  /** Time allowed per request, in ms. @default 10000 */
  timeout?: number
  /** Seconds since the epoch for signatures; injectable for tests. @default the wall clock */
  now?: () => number
}

/** How to deviate from what Fin sends, for checks. */
export interface FinCallInit {
  /** Another token (null: no Authorization header). Skips the OAuth refresh. */
  token?: string | null
  /** The whole Authorization header, as is (e.g. another scheme). Skips the OAuth refresh. */
  authorization?: string
  /** A body sent as is, instead of the JSON of the input. */
  rawBody?: string
  contentType?: string
  /** With a signing secret: false sends no signature; otherwise a timestamp to sign with, or a tampering after signing. */
  sign?: false | { timestamp?: number, tamper?: (request: { body?: string, query?: FinQuery }) => { body?: string, query?: FinQuery } }
}

export interface FinResponse {
  status: number
  /** The parsed JSON body (undefined when the body is not JSON). */
  body: unknown
  /** The payload: the body (standard) or `data` of the envelope (POST-only). */
  data: unknown
  text: string
  /** The response headers (e.g. Retry-After on a 429). */
  headers: Headers
}

/**
 * Calls a helpdesk's Fin endpoints the way Fin does: in either variant, with the helpdesk's paths, a bearer token,
 * signed when given a signing secret, and on a 401 or 403 (when it has OAuth credentials) a fresh token and one retry.
 */
export class FinClient {
  readonly variant: FinVariantName
  /** The helpdesk's base URL; settable, for a helpdesk that needs Fin's webhook URL before it can listen. */
  baseUrl: string
  /** How many tokens were fetched from the token endpoint. */
  tokensFetched = 0
  readonly #options: FinClientOptions
  #token: string | undefined

  constructor (options: FinClientOptions) {
    if (options.token === undefined && options.oauth === undefined) throw new TypeError('FinClient needs a token or oauth credentials')
    this.#options = options
    this.baseUrl = options.baseUrl
    this.variant = options.variant ?? 'standard'
    this.#token = options.token
  }

  get signs (): boolean {
    return this.#options.signingSecret !== undefined
  }

  /** Now, in whole seconds since the epoch: what Fin puts in X-Fin-Request-Timestamp. */
  seconds (): number {
    return Math.floor(this.#options.now?.() ?? Date.now() / 1000)
  }

  get usesOAuth (): boolean {
    return this.#options.oauth !== undefined
  }

  url (operation: OperationName): { method: 'GET' | 'PUT' | 'POST', url: string } {
    const path = this.#options.paths?.[operation] ?? (this.variant === 'posts-only' ? POSTS_ONLY_PATHS[operation] : STANDARD_ROUTES[operation].path)
    const method = this.variant === 'posts-only' ? 'POST' : STANDARD_ROUTES[operation].method
    return { method, url: `${this.baseUrl.replace(/\/+$/, '')}${path}` }
  }

  /** The token Fin would send now (fetched from the token endpoint with OAuth). */
  token (): Promise<string> {
    return this.#currentToken()
  }

  /** Replace the held token (e.g. with a revoked one, to see the refresh happen). */
  useToken (token: string): void {
    this.#token = token
  }

  /** One operation, its input in the query (standard GETs) or the JSON body. */
  async call (operation: OperationName, input: Record<string, unknown> = {}, init: FinCallInit = {}): Promise<FinResponse> {
    const send = async (token: string | undefined): Promise<FinResponse> => {
      const { method, url } = this.url(operation)
      const headers: Record<string, string> = {}
      if (init.authorization !== undefined) headers.authorization = init.authorization
      else if (token !== undefined) headers.authorization = `Bearer ${token}`
      let query: FinQuery | undefined
      let body: string | undefined
      if (method === 'GET') {
        query = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))
      } else {
        body = init.rawBody ?? JSON.stringify(input)
        headers['content-type'] = init.contentType ?? 'application/json'
      }
      const secret = this.#options.signingSecret
      if (secret !== undefined && init.sign !== false) {
        // As Fin signs: the timestamp in whole seconds and the payload, nothing else (no method, no path, no nonce).
        // The same payload twice in one second (a sync's two reads, a retry) carries the same signature twice.
        Object.assign(headers, signFinRequest({ secret, body, query, timestamp: init.sign?.timestamp ?? this.seconds() }))
        // Tampering happens after signing: what arrives differs from what was signed.
        if (init.sign?.tamper !== undefined) ({ body, query } = init.sign.tamper({ body, query }))
      }
      const search = new URLSearchParams(Object.entries(query ?? {}).map(([k, v]): [string, string] => [k, String(v)]))
      const target = search.size === 0 ? url : `${url}?${search}`
      const { signal, done } = this.#deadline()
      let res: Response
      let text: string
      try {
        res = await fetch(target, { method, headers, body, signal })
        text = await res.text()
      } finally {
        done()
      }
      let parsed: unknown
      try { parsed = text === '' ? undefined : JSON.parse(text) } catch { parsed = undefined }
      const data = this.variant === 'posts-only' && parsed !== null && typeof parsed === 'object' ? (parsed as { data?: unknown }).data : parsed
      return { status: res.status, body: parsed, data, text, headers: res.headers }
    }
    if (init.token !== undefined || init.authorization !== undefined) return send(init.token ?? undefined)
    const first = await send(await this.#currentToken())
    if ((first.status === 401 || first.status === 403) && this.#options.oauth !== undefined) {
      // Fin: on 401 or 403, fetch a new token and retry once.
      this.#token = undefined
      return send(await this.#currentToken())
    }
    return first
  }

  /**
   * The time limit of one call. A timer that holds the process open, unlike AbortSignal.timeout's: against a server
   * that accepts and drops connections, fetch waits for the signal, and with nothing else running the CLI would exit
   * 0 in silence, its checks never finished.
   */
  #deadline (): { signal: AbortSignal, done: () => void } {
    const ms = this.#options.timeout ?? 10_000
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms)
    return { signal: controller.signal, done: () => clearTimeout(timer) }
  }

  async #currentToken (): Promise<string> {
    if (this.#token !== undefined) return this.#token
    const { tokenUrl, clientId, clientSecret } = this.#options.oauth!
    const { signal, done } = this.#deadline()
    let res: Response
    let body: { access_token?: string }
    try {
      res = await fetch(tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded'
        },
        body: 'grant_type=client_credentials',
        signal
      })
      this.tokensFetched++
      body = await res.json().catch(() => ({})) as { access_token?: string }
    } finally {
      done()
    }
    if (res.status !== 200 || typeof body.access_token !== 'string') throw new Error(`token endpoint answered ${res.status}`)
    this.#token = body.access_token
    return body.access_token
  }
}
