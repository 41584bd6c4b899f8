import { isIP } from 'node:net'
import { ConfigError } from './config-errors.js'

/** @fastify/proxy-addr's names for address ranges, beside addresses and CIDRs. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/**
 * TRUST_PROXY as Fastify's `trustProxy`: off (unset, empty, `false`), `true`, or a comma-separated list of what
 * proxy-addr accepts. A mistake is refused here in one line, not by proxy-addr's TypeError (and its stack) when
 * Fastify starts; `1` (a hop count elsewhere) is refused rather than read as the address 0.0.0.1, as proxy-addr would.
 */
export function readTrustProxy (raw: string | undefined): boolean | string[] {
  // Lowercase: TRUE is meant as true, and IPv6 hex is the same in either case.
  const value = (raw ?? '').trim().toLowerCase()
  if (value === '' || value === 'false') return false
  if (value === 'true') return true
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  const bad = entries.find((entry) => !trustable(entry))
  if (bad !== undefined) {
    throw new ConfigError('TRUST_PROXY', `"${bad}" is not an IP address, a CIDR (10.0.0.0/8) or one of loopback, linklocal, uniquelocal; use those, comma-separated, or true or false`)
  }
  return entries
}

/** What proxy-addr compiles: a name, an address, address/prefix (1 to 32 or 128), or IPv4 address/netmask. */
function trustable (entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true
  const slash = entry.lastIndexOf('/')
  const kind = isIP(slash === -1 ? entry : entry.slice(0, slash))
  if (kind === 0) return false
  if (slash === -1) return true
  const range = entry.slice(slash + 1)
  if (/^\d+$/.test(range)) return Number(range) >= 1 && Number(range) <= (kind === 6 ? 128 : 32)
  return kind === 4 && isIP(range) === 4 && isNetmask(range)
}

/** Ones then zeros, and not all zeros (proxy-addr refuses a /0). */
function isNetmask (mask: string): boolean {
  const bits = mask.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
  const hosts = 2 ** 32 - 1 - bits
  return bits !== 0 && (hosts & (hosts + 1)) === 0
}
