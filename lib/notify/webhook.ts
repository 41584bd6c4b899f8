import { retryAfterMs } from './backoff.js'

/** What a webhook call came to. */
export type WebhookResult =
  | { outcome: 'accepted', status: number }
  | { outcome: 'retry', status: number | null, error: string, retryAfter: number | undefined }
  | { outcome: 'rejected', status: number, error: string }

export const REGION_BASE_URLS = {
  us: 'https://api.intercom.io/hooks/standalone',
  eu: 'https://api.eu.intercom.io/hooks/standalone',
  au: 'https://api.au.intercom.io/hooks/standalone'
} as const

export type FinRegion = keyof typeof REGION_BASE_URLS

/** The Fin webhook of one integration: {base}/custom_helpdesk_conversation_event/{integration_id}. */
export function webhookUrl (base: string, integrationId: string): string {
  return `${base.replace(/\/+$/, '')}/custom_helpdesk_conversation_event/${encodeURIComponent(integrationId)}`
}

const MAX_ERROR_BODY = 4096

async function readSome (response: Response, limit: number): Promise<string> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < limit) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
    if (size >= limit) await reader.cancel()
  } catch {
    // A body cut short says nothing more: the status decides.
  }
  return Buffer.concat(chunks).toString('utf8', 0, Math.min(size, limit))
}

/** The text with the secret, raw or URL-encoded, replaced. */
function withoutSecret (text: string, secret: string): string {
  return text.split(secret).join('[webhook key]').split(encodeURIComponent(secret)).join('[webhook key]')
}

/**
 * POSTs one event. Node's fetch keeps connections alive between calls. 5xx, 408, 429, timeouts and network errors
 * are worth retrying; any other 4xx is not (the request itself is wrong: key, integration id, payload).
 * Redirects are never followed: the X-Webhook-Key goes to the configured URL and nowhere else, so a 3xx is a
 * failed attempt (retried) whose error names the Location.
 * `headers`: the attempt's trace context (traceparent), when tracing.
 */
export async function postEvent (url: string, webhookKey: string, body: object, timeout: number, signal: AbortSignal, now: () => number, headers?: Record<string, string>): Promise<WebhookResult> {
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'x-webhook-key': webhookKey },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)])
    })
  } catch (err) {
    const error = err as Error & { cause?: { code?: string } }
    const reason = error.name === 'TimeoutError' ? `timeout after ${timeout} ms` : (error.cause?.code ?? error.message)
    return { outcome: 'retry', status: null, error: reason, retryAfter: undefined }
  }
  // Read the body so the connection goes back to the pool (a few KiB at most: the rest is cut off).
  const text = await readSome(response, MAX_ERROR_BODY)
  const { status } = response
  if (status >= 200 && status < 300) return { outcome: 'accepted', status }
  // What the endpoint says ends up in logs, events and the inbox: never with the key in it, if it echoes it back.
  const clean = (said: string): string => withoutSecret(said, webhookKey)
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location') ?? '(no Location)'
    return { outcome: 'retry', status, error: `HTTP ${status} redirect to ${clean(location.slice(0, 500))}, not followed`, retryAfter: undefined }
  }
  const error = `HTTP ${status}${text === '' ? '' : `: ${clean(text.slice(0, 200))}`}`
  if (status >= 500 || status === 408 || status === 429) {
    return { outcome: 'retry', status, error, retryAfter: retryAfterMs(response.headers.get('retry-after'), now()) }
  }
  return { outcome: 'rejected', status, error }
}
