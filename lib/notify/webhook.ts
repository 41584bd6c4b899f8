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

/** Up to `limit` bytes of the body; `whole` is false when the body went on (cut here) or broke off. */
async function readSome (response: Response, limit: number): Promise<{ text: string, whole: boolean }> {
  if (response.body === null) return { text: '', whole: true }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let whole = false
  try {
    while (size < limit) {
      const { done, value } = await reader.read()
      if (done) { whole = true; break }
      chunks.push(value)
      size += value.byteLength
    }
    if (size >= limit) await reader.cancel()
  } catch {
    // A body cut short says nothing more: the status decides.
  }
  return { text: Buffer.concat(chunks).toString('utf8', 0, Math.min(size, limit)), whole }
}

/**
 * The text with the secret, raw or URL-encoded, replaced. Applied to everything read, before any cut, so that no cut
 * can leave a fragment of the key; and when the body itself was cut (or broke off) inside a key, the fragment at its
 * end is dropped too.
 */
function withoutSecret (text: string, secret: string, whole = true): string {
  const forms = [...new Set([secret, encodeURIComponent(secret)])]
  let clean = text
  for (const form of forms) clean = clean.split(form).join('[webhook key]')
  if (whole) return clean
  for (const form of forms) {
    for (let n = Math.min(form.length - 1, clean.length); n > 0; n--) {
      if (clean.endsWith(form.slice(0, n))) { clean = clean.slice(0, -n); break }
    }
  }
  return clean
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
  const read = await readSome(response, MAX_ERROR_BODY)
  const { status } = response
  if (status >= 200 && status < 300) return { outcome: 'accepted', status }
  // What the endpoint says ends up in logs, events, the outbox and the inbox: never with the key in it, if it echoes
  // it back. Scrubbed first, then cut: a key straddling the cut would otherwise leave its first characters.
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location') ?? '(no Location)'
    return { outcome: 'retry', status, error: `HTTP ${status} redirect to ${withoutSecret(location, webhookKey).slice(0, 500)}, not followed`, retryAfter: undefined }
  }
  const text = withoutSecret(read.text, webhookKey, read.whole).slice(0, 200)
  const error = `HTTP ${status}${text === '' ? '' : `: ${text}`}`
  if (status >= 500 || status === 408 || status === 429) {
    return { outcome: 'retry', status, error, retryAfter: retryAfterMs(response.headers.get('retry-after'), now()) }
  }
  return { outcome: 'rejected', status, error }
}
