import { FinOptionsError } from '../errors.js'
import type { SanitizeOption } from '../html.js'
import { OPERATIONS, POSTS_ONLY_PATHS, STANDARD_ROUTES, type OperationName } from '../operations.js'
import { resolveAttributeLimits, type AttributeLimits, type FinAttributeLimits } from '../storage/attributes.js'

export type FinVariant = 'standard' | 'posts-only' | 'both'

/** The options of what is mounted and how requests are read: part of FinHelpdeskOptions. */
export interface FinHttpOptions {
  /** Which API variant to mount: 'standard', 'posts-only' or 'both'. @default 'both' */
  variant?: FinVariant
  /** Renames operations' paths (Fin lets each helpdesk choose its URLs), per variant. @default the documented paths */
  paths?: {
    standard?: Partial<Record<OperationName, string>>
    postsOnly?: Partial<Record<OperationName, string>>
  }
  /** How message bodies are cleaned: 'sanitize' (Fin's HTML subset), 'passthrough', or a function. @default 'sanitize' */
  sanitize?: SanitizeOption
  /** Largest accepted request body in bytes; larger ones are answered 413. @default 1048576 */
  bodyLimit?: number
  /**
   * Bounds on a user's or conversation's stored `attributes` after a merge (400 FIN_ERR_ATTRIBUTES_TOO_LARGE,
   * nothing written), or false for none. @default { maxKeys: 500, maxBytes: 131072 }
   */
  attributeLimits?: false | FinAttributeLimits
}

export interface ResolvedRoute {
  operation: OperationName
  variant: 'standard' | 'posts-only'
  method: 'GET' | 'PUT' | 'POST'
  path: string
}

export interface ResolvedHttpOptions {
  routes: ResolvedRoute[]
  sanitize: SanitizeOption
  bodyLimit: number
  attributeLimits: AttributeLimits | undefined
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024

const PATH = /^\/[A-Za-z0-9_\-/.~:]*$/

/** Checks and completes the HTTP options: the route table, the sanitize choice, the body limit. */
export function resolveHttpOptions (options: FinHttpOptions): ResolvedHttpOptions {
  const sanitize = options.sanitize ?? 'sanitize'
  if (typeof sanitize !== 'function' && sanitize !== 'sanitize' && sanitize !== 'passthrough') {
    throw new FinOptionsError('sanitize must be "sanitize", "passthrough" or a function')
  }
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 0) throw new FinOptionsError('bodyLimit must be a positive integer')
  return { routes: resolveRoutes(options.variant ?? 'both', options.paths ?? {}), sanitize, bodyLimit, attributeLimits: resolveAttributeLimits(options.attributeLimits) }
}

function resolveRoutes (variant: FinVariant, paths: NonNullable<FinHttpOptions['paths']>): ResolvedRoute[] {
  if (variant !== 'standard' && variant !== 'posts-only' && variant !== 'both') {
    throw new FinOptionsError('variant must be "standard", "posts-only" or "both"')
  }
  checkPathNames(paths.standard, 'paths.standard')
  checkPathNames(paths.postsOnly, 'paths.postsOnly')
  const routes: ResolvedRoute[] = []
  for (const operation of OPERATIONS) {
    if (variant !== 'posts-only') {
      const { method, path } = STANDARD_ROUTES[operation]
      routes.push({ operation, variant: 'standard', method, path: paths.standard?.[operation] ?? path })
    }
    if (variant !== 'standard') {
      routes.push({ operation, variant: 'posts-only', method: 'POST', path: paths.postsOnly?.[operation] ?? POSTS_ONLY_PATHS[operation] })
    }
  }
  const seen = new Map<string, string>()
  for (const route of routes) {
    if (typeof route.path !== 'string' || !PATH.test(route.path)) {
      throw new FinOptionsError(`path "${String(route.path)}" of ${route.operation} must start with "/" and hold only URL path characters`)
    }
    const key = `${route.method} ${route.path}`
    const other = seen.get(key)
    if (other !== undefined) throw new FinOptionsError(`${key} is used by both ${other} and ${route.operation} (${route.variant})`)
    seen.set(key, `${route.operation} (${route.variant})`)
  }
  return routes
}

function checkPathNames (paths: Partial<Record<string, string>> | undefined, option: string): void {
  for (const key of Object.keys(paths ?? {})) {
    if (!(OPERATIONS as readonly string[]).includes(key)) {
      throw new FinOptionsError(`${option}.${key} is not an operation (${OPERATIONS.join(', ')})`)
    }
  }
}
