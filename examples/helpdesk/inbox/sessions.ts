import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import fastifyRateLimit from '@fastify/rate-limit'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { errorCodes, type FinStorage, type FinStorageTypes } from '../../../lib/index.js'
import type { CredentialStore } from './credentials.js'
import { DUMMY_HASH, verifyPassword } from './passwords.js'
import type { InboxSessionStore } from './session-store.js'

const {
  FIN_ERR_AUTH_RATE_LIMITED: FinAuthRateLimitedError, FIN_ERR_BAD_REQUEST: FinBadRequestError,
  FIN_ERR_RATE_LIMITED: FinRateLimitedError, FIN_ERR_UNAUTHORIZED: FinUnauthorizedError
} = errorCodes
type AgentRecord = FinStorageTypes.AgentRecord

declare module 'fastify' {
  interface Session {
    /** The signed-in agent: set at sign-in, the only identity the inbox acts as. */
    agentId?: string
  }
  interface FastifyRequest {
    /** The signed-in agent (after requireAgent). */
    agent: AgentRecord
  }
}

export interface SessionOptions {
  storage: FinStorage
  credentials: CredentialStore
  /** The agent Fin writes as: it has no password and never signs in. */
  finAgentId: string
  /** Signs the session cookie: 32 characters or more. */
  secret: string
  /** Secure cookies (HTTPS only): on everywhere but loopback. */
  secure: boolean
  /** How long a sign-in lasts (ms). */
  ttl: number
  /** Where sessions are kept. @default the library's memory store (one process; gone on restart) */
  store?: InboxSessionStore
  /** An ioredis client: rate limits shared by the instances. */
  redis?: object
  /** The prefix of its keys in Redis. @default 'helpdesk-inbox-' */
  redisNameSpace?: string | undefined
  /** Requests a minute per signed-in agent. @default 600 */
  perAgent?: number
  /** Sign-in attempts per 15 minutes from one IP. @default 30 */
  loginsPerIp?: number
  /** Sign-in attempts per 15 minutes for one account. @default 10 */
  loginsPerAccount?: number
}

const LOGIN_WINDOW = 15 * 60_000
const authLimited = (after: string): Error => new FinAuthRateLimitedError(after)
const agentLimited = (after: string): Error => new FinRateLimitedError(after)

/**
 * Agents sign in with their email and password; a session cookie (HttpOnly, SameSite=Strict, Secure outside
 * loopback) carries who they are. Registered in the inbox's own scope: returns the hook that its API routes use.
 */
export async function agentSessions (app: FastifyInstance, options: SessionOptions): Promise<onRequestAsyncHookHandler> {
  const { storage, credentials, finAgentId } = options
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: options.secret,
    cookieName: 'inbox_session',
    ...(options.store === undefined ? {} : { store: options.store }),
    // Nothing stored, no cookie, until an agent signs in; a fixed lifetime from sign-in.
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'strict', secure: options.secure, path: '/inbox', maxAge: options.ttl }
  })
  // skipOnError: a Redis outage must not lock the agents out.
  await app.register(fastifyRateLimit, { global: false, redis: options.redis, nameSpace: options.redisNameSpace ?? 'helpdesk-inbox-', skipOnError: true })
  const perIp = app.createRateLimit({ keyGenerator: (request) => `login-ip:${request.ip}`, max: options.loginsPerIp ?? 30, timeWindow: LOGIN_WINDOW })
  const perAccount = app.createRateLimit({
    // The same normalisation as the lookup below: ' Sarah@…' is Sarah's account, and its budget.
    keyGenerator: (request) => `login-account:${String((request.body as { email?: unknown }).email).trim().toLowerCase()}`,
    max: options.loginsPerAccount ?? 10,
    timeWindow: LOGIN_WINDOW
  })
  const perAgent = app.createRateLimit({ keyGenerator: (request) => `agent:${request.agent.id}`, max: options.perAgent ?? 600, timeWindow: 60_000 })

  async function limited (request: FastifyRequest, reply: FastifyReply, check: typeof perIp, error: (after: string) => Error, limit: string): Promise<void> {
    const counted = await check(request)
    if (counted.isAllowed || !counted.isExceeded) return
    const seconds = Math.max(1, counted.ttlInSeconds)
    request.log.warn({ limit, ip: request.ip, retryAfter: seconds }, 'inbox: rate limited (429)')
    reply.header('retry-after', seconds)
    throw error(`${seconds} seconds`)
  }

  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  routes.post('/inbox/session', {
    schema: { body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }) }
  }, async (request, reply) => {
    // A Secure cookie is never set over plain HTTP: say so, rather than "signing in" without a session.
    // The reason is where the helpdesk listens (HOST), not where the request came from: a request from 127.0.0.1 to
    // HOST=0.0.0.0 is refused too.
    if (options.secure && request.protocol !== 'https') {
      throw new FinBadRequestError('Sign-in needs HTTPS: HOST is not loopback, so the session cookie is Secure; serve the helpdesk behind a TLS proxy with TRUST_PROXY set, or set HOST=127.0.0.1')
    }
    // Every attempt counts, a right one too: past the limit even the right password waits (no guessing on).
    await limited(request, reply, perIp, authLimited, 'inbox-login-ip')
    await limited(request, reply, perAccount, authLimited, 'inbox-login-account')
    const email = request.body.email.trim().toLowerCase()
    const agent = (await storage.listAgents()).find((a) => a.email.toLowerCase() === email && a.id !== finAgentId)
    const hash = agent === undefined ? undefined : await credentials.get(agent.id)
    // An unknown email costs one scrypt too: the answer's timing does not tell which emails exist.
    const valid = await verifyPassword(request.body.password, hash ?? DUMMY_HASH) && agent !== undefined && hash !== undefined
    if (!valid) {
      request.log.info({ ip: request.ip }, 'inbox: sign-in refused')
      throw new FinUnauthorizedError('Wrong email or password')
    }
    // A new session id at sign-in: an id planted before it is worth nothing.
    await request.session.regenerate()
    request.session.set('agentId', agent.id)
    return reply.send({ agent: { id: agent.id, name: agent.name, email: agent.email } })
  })

  routes.delete('/inbox/session', async (request, reply) => {
    await request.session.destroy()
    return reply.code(204).send()
  })

  app.decorateRequest('agent', null as unknown as AgentRecord)
  return async function requireAgent (request, reply) {
    const id = request.session.get('agentId')
    const agent = id === undefined ? undefined : (await storage.listAgents()).find((a) => a.id === id)
    if (agent === undefined) throw new FinUnauthorizedError('Not signed in, or the session has expired')
    request.agent = agent
    await limited(request, reply, perAgent, agentLimited, 'inbox-agent')
  }
}
