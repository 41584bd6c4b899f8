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

/**
 * The delay before the next attempt: the server's Retry-After kept within [minDelay, maxDelay] (a `0` must not
 * turn into a busy loop, a huge value must not stall the sync past the policy), or else the backoff.
 */
export function retryDelay (retryAfter: number | undefined, attempt: number, policy: { baseDelay: number, maxDelay: number }, random: () => number): number {
  if (retryAfter === undefined) return backoffDelay(attempt, policy.baseDelay, policy.maxDelay, random)
  return Math.min(policy.maxDelay, Math.max(policy.baseDelay, retryAfter))
}
