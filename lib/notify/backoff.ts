/** Capped exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^(attempt-1))). */
export function backoffDelay (attempt: number, baseDelay: number, maxDelay: number, random: () => number): number {
  const ceiling = Math.min(maxDelay, baseDelay * 2 ** Math.max(0, attempt - 1))
  return Math.floor(random() * ceiling)
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs (header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const value = header.trim()
  if (/^\d+$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
