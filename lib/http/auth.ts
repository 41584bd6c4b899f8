import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from 'fastify'
import fastifyAuth from '@fastify/auth'
import fastifyRateLimit from '@fastify/rate-limit'
import { createAuthenticator } from '../auth/bearer.js'
import { CLIENT } from '../auth/client.js'
import { createLimits, needsRateLimitStore, type Limits } from '../auth/limits.js'
import type { OAuthTokens } from '../auth/oauth.js'
import type { FinTokenVerifier, ResolvedAuthOptions } from '../auth/options.js'
import { rawBody } from '../auth/raw-body.js'
import type { SignatureCheck } from '../auth/signature.js'
import { FinInvalidSignatureError } from '../errors.js'

/** What authenticates the API's requests: plain options plus the objects build.ts made from them. */
export interface ApiAuth {
  tokens: string[]
  verifyToken: FinTokenVerifier | undefined
  oauth: OAuthTokens | undefined
  signature: SignatureCheck | undefined
}

/** The route-level hooks every Fin operation is declared with. */
export interface RouteAuth {
  /** `fastify.auth([authenticate])`: the bearer check, then the per-client limit keyed on who the client is. */
  onRequest: onRequestHookHandler
  /** The signature check, when on: after parsing (the raw body is known), before validation. */
  preValidation: preValidationHookHandler | undefined
}

/**
 * Both limits of this integration, for the API and the token endpoint alike. Registers @fastify/rate-limit
 * (route-less) only when a limit counts in its store; the per-client limit counts in this process otherwise.
 */
export async function registerLimits (
  app: FastifyInstance,
  options: Pick<ResolvedAuthOptions, 'name' | 'rateLimit' | 'authFailureLimit'>
): Promise<Limits> {
  if (!app.hasRequestDecorator(CLIENT)) app.decorateRequest(CLIENT, undefined)
  if (!needsRateLimitStore(options)) return createLimits(options, undefined)
  const { rateLimit } = options
  await app.register(fastifyRateLimit, {
    global: false,
    ...(rateLimit === false ? {} : rateLimit),
    redis: rateLimit === false ? undefined : rateLimit.redis,
    nameSpace: rateLimit === false ? undefined : (rateLimit.nameSpace ?? `fin-rate-limit-${options.name}-`)
  })
  return createLimits(options, app.createRateLimit.bind(app))
}

/** Registers @fastify/auth in the API context and makes the hooks its routes are declared with. */
export async function routeAuth (api: FastifyInstance, auth: ApiAuth, limits: Limits): Promise<RouteAuth> {
  // @fastify/auth throws FST_ERR_DEC_ALREADY_PRESENT when registered twice in one context.
  if (!api.hasDecorator('auth')) await api.register(fastifyAuth)
  const { signature } = auth
  const { failed } = limits
  return {
    onRequest: api.auth([createAuthenticator(auth, limits)]),
    preValidation: signature === undefined
      ? undefined
      : async function finSignature (request: FastifyRequest, reply: FastifyReply) {
        const refused = await signature(request, rawBody(request))
        if (refused === undefined) return
        const err = new FinInvalidSignatureError(refused.reason)
        // A replay carries a valid signature and (by now) a valid bearer credential: nobody is guessing a secret,
        // and Fin's IP must not be locked out for it. A forged or stale signature is a failed authentication.
        if (refused.replay || failed === undefined) throw err
        throw await failed(request, reply, err)
      }
  }
}
