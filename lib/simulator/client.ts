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
  /** @default 'standard' */
  variant?: FinVariantName
  /** Paths per operation, when the helpdesk chose its own (as entered in the Fin Deployment UI). */
  paths?: Partial<Record<OperationName, string>>
  /** Time allowed per request, in ms. @default 10000 */
  timeout?: number
}

export interface FinResponse {
  status: number
  /** The parsed JSON body (undefined when the body is not JSON). */
  body: unknown
  /** The payload: the body (standard) or `data` of the envelope (POST-only). */
  data: unknown
  text: string
}

/**
 * Calls a helpdesk's Fin endpoints the way Fin does: in either variant, with the helpdesk's paths, a bearer token,
 * and on a 401 or 403 (when it has OAuth credentials) a fresh token and one retry.
 */
export class FinClient {
  readonly variant: FinVariantName
  /** The helpdesk's base URL; settable, for a helpdesk that needs Fin's webhook URL before it can listen. */
  baseUrl: string
  readonly #o: FinClientOptions
  #token: string | undefined

  constructor (options: FinClientOptions) {
    if (options.token === undefined && options.oauth === undefined) throw new TypeError('FinClient needs a token or oauth credentials')
    this.#o = options
    this.baseUrl = options.baseUrl
    this.variant = options.variant ?? 'standard'
    this.#token = options.token
  }

  url (operation: OperationName): { method: 'GET' | 'PUT' | 'POST', url: string } {
    const path = this.#o.paths?.[operation] ?? (this.variant === 'posts-only' ? POSTS_ONLY_PATHS[operation] : STANDARD_ROUTES[operation].path)
    const method = this.variant === 'posts-only' ? 'POST' : STANDARD_ROUTES[operation].method
    return { method, url: `${this.baseUrl.replace(/\/+$/, '')}${path}` }
  }

  /** One operation, its input in the query (standard GETs) or the JSON body. */
  async call (operation: OperationName, input: Record<string, unknown> = {}, init: { token?: string | null, rawBody?: string, contentType?: string } = {}): Promise<FinResponse> {
    const send = async (token: string | undefined): Promise<FinResponse> => {
      const { method, url } = this.url(operation)
      const headers: Record<string, string> = {}
      if (token !== undefined) headers.authorization = `Bearer ${token}`
      let target = url
      let body: string | undefined
      if (method === 'GET') {
        const query = new URLSearchParams(Object.entries(input).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]))
        target = query.size === 0 ? url : `${url}?${query}`
      } else {
        body = init.rawBody ?? JSON.stringify(input)
        headers['content-type'] = init.contentType ?? 'application/json'
      }
      const res = await fetch(target, { method, headers, body, signal: AbortSignal.timeout(this.#o.timeout ?? 10_000) })
      const text = await res.text()
      let parsed: unknown
      try { parsed = text === '' ? undefined : JSON.parse(text) } catch { parsed = undefined }
      const data = this.variant === 'posts-only' && parsed !== null && typeof parsed === 'object' ? (parsed as { data?: unknown }).data : parsed
      return { status: res.status, body: parsed, data, text }
    }
    if (init.token !== undefined) return send(init.token ?? undefined)
    const first = await send(await this.#currentToken())
    if ((first.status === 401 || first.status === 403) && this.#o.oauth !== undefined) {
      // Fin: on 401 or 403, fetch a new token and retry once.
      this.#token = undefined
      return send(await this.#currentToken())
    }
    return first
  }

  async #currentToken (): Promise<string> {
    if (this.#token !== undefined) return this.#token
    const { tokenUrl, clientId, clientSecret } = this.#o.oauth!
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded'
      },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(this.#o.timeout ?? 10_000)
    })
    const body = await res.json().catch(() => ({})) as { access_token?: string }
    if (res.status !== 200 || typeof body.access_token !== 'string') throw new Error(`token endpoint answered ${res.status}`)
    this.#token = body.access_token
    return body.access_token
  }
}
