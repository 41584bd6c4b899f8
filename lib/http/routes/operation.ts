import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Static, TSchema } from '@sinclair/typebox'
import type { FinEvents } from '../../events.js'
import type { FinRouteConfig, OperationName } from '../../operations.js'
import type { RouteAuth } from '../auth.js'
import type { ResolvedRoute } from '../options.js'
import { Envelope, ErrorEnvelope, ErrorResponse } from '../../schemas/responses.js'
import type { AttributeLimits } from '../../storage/attributes.js'
import type { FinStorage } from '../../storage/types.js'
import type { FinWrites } from '../../writes/writes.js'

/** What every operation's handlers work with. */
export interface RouteContext {
  integration: string
  storage: FinStorage
  events: FinEvents
  sanitize: (html: string) => string
  /** Bounds on stored attributes, passed to the storage with every attributes change; undefined: none. */
  attributeLimits: AttributeLimits | undefined
  /** The integration's write path, for input the route's schema validated (Fin's own changes: no sync back). */
  writes: FinWrites
}

export interface VariantSpec<Req extends TSchema, Res extends TSchema> {
  /** Query (standard GET) or body schema; none for an operation that takes no input. */
  request?: Req
  /** The success payload (POST-only: what goes in `data`). */
  response: Res
  handler: (input: Static<Req>, request: FastifyRequest) => Promise<Static<Res>>
}

export interface OperationSpec<SReq extends TSchema, SRes extends TSchema, PReq extends TSchema, PRes extends TSchema> {
  operation: OperationName
  tag: 'Users' | 'Agents' | 'Conversations' | 'Messages'
  summary: string
  description: string
  status: 200 | 201
  standard: VariantSpec<SReq, SRes>
  postsOnly: VariantSpec<PReq, PRes>
}

/** An operation with its schema types checked against its handlers, then erased so all nine fit one list. */
export type AnyOperationSpec = OperationSpec<TSchema, TSchema, TSchema, TSchema>

export function defineOperation<SReq extends TSchema, SRes extends TSchema, PReq extends TSchema, PRes extends TSchema> (
  spec: OperationSpec<SReq, SRes, PReq, PRes>
): AnyOperationSpec {
  return spec as unknown as AnyOperationSpec
}

/**
 * Mounts one operation in one variant: its schemas (validation, serialization, OpenAPI), its handler, and its
 * operation and variant in `config` (the operationId is for OpenAPI only: nothing parses it).
 */
export function mountOperation (
  app: FastifyInstance, route: ResolvedRoute, spec: AnyOperationSpec, auth: RouteAuth, integration: string, bodyLimit: number
): void {
  const config: FinRouteConfig = { operation: spec.operation, variant: route.variant }
  const standard = route.variant === 'standard'
  const variant = standard ? spec.standard : spec.postsOnly
  const inQuery = route.method === 'GET'
  const operationId = (integration === 'default' ? '' : `${integration}_`) + spec.operation + (standard ? '' : 'PostsOnly')
  const schema: Record<string, unknown> = {
    operationId,
    tags: [spec.tag],
    summary: spec.summary,
    description: spec.description,
    security: [{ BearerAuth: [] }],
    response: standard
      ? { [spec.status]: variant.response, '4xx': ErrorResponse, '5xx': ErrorResponse }
      : { [spec.status]: Envelope(variant.response), '4xx': ErrorEnvelope, '5xx': ErrorEnvelope }
  }
  if (variant.request !== undefined) schema[inQuery ? 'querystring' : 'body'] = variant.request
  const { handler } = variant
  const { status } = spec
  app.route({
    method: route.method,
    url: route.path,
    schema,
    bodyLimit,
    // Read back with finRoute() (telemetry, the error handler, the limits, the replay rule); Fastify's config type is
    // empty unless augmented, which we leave to the host.
    config: config as object,
    // Route-level, the @fastify/auth way: the bearer check (then the per-client limit), and the signature check.
    onRequest: auth.onRequest,
    ...(auth.preValidation === undefined ? {} : { preValidation: auth.preValidation }),
    handler: standard
      ? async function standardHandler (request, reply) {
        reply.code(status)
        return handler(inQuery ? request.query : request.body, request)
      }
      : async function postsOnlyHandler (request, reply) {
        reply.code(status)
        return { data: await handler(request.body, request) }
      }
  })
}
