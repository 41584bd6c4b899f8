// What Fin sends that a helpdesk must refuse or survive: tokens, signatures, unknown and hostile ids, bad input;
// and the error shapes Fin reads.
import { ProblemDetails } from '../../schemas/responses.js'
import type { FinCallInit } from '../client.js'
import { answered, is2xx, is4xx, isRefusal, lighter, NotRun, survived, verdict, type CheckContext, type CheckDefinition, type Exchange, type Rec } from './context.js'
import { compareShape } from './shape.js'

const REFUSED = 'HTTP 401 or 403 (or 429 with Retry-After: failed authentications limited)'
const TOKEN_WHY = 'Fin sends its bearer token on every request and the helpdesk validates it on every request (reference: authentication)'

function tokenCheck (id: string, name: string, variantOf: (token: string) => FinCallInit | undefined, hint?: string): CheckDefinition {
  return {
    id,
    severity: 'error',
    why: TOKEN_WHY,
    name,
    async run (ctx) {
      const init = variantOf(await ctx.client.token())
      if (init === undefined) throw new NotRun('does not apply to this token (too short, or no letters to change the case of)')
      const res = await ctx.call('getAgents', {}, init)
      const header = init.authorization ?? (init.token === null ? 'none' : `Bearer ${init.token}`)
      return { ok: isRefusal(res), sent: `${res.sent} with Authorization: ${header.length > 60 ? `${header.slice(0, 57)}...` : header}`, expected: REFUSED, actual: answered(res), hint }
    }
  }
}

const swapCase = (token: string): string => [...token].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')

function signatureCheck (id: string, name: string, init: (ctx: CheckContext) => FinCallInit, input: (ctx: CheckContext) => Rec = () => ({})): CheckDefinition {
  return {
    id,
    severity: 'error',
    why: 'X-Fin-Request-Timestamp and X-Fin-Signature are there to refuse old and forged requests (reference: POST-only FAQ); checked only with --signing-secret, for a helpdesk that verifies them',
    name,
    unless: (ctx) => (ctx.client.signs ? undefined : 'no signing secret given (--signing-secret): the helpdesk is taken not to verify signatures'),
    async run (ctx) {
      const res = await ctx.call('getUser', input(ctx), init(ctx))
      return { ok: isRefusal(res), sent: res.sent, expected: REFUSED, actual: answered(res), hint: 'verify X-Fin-Signature (HMAC-SHA256 of "{timestamp}:{body or sorted query}") and the timestamp\'s age on every request' }
    }
  }
}

/** Ids built to break string handling: quotes, non-ASCII and direction marks, and sheer length. */
const HOSTILE_IDS: Array<[string, string, string]> = [
  ['hostile-ids.quotes', 'ids with quotes and SQL-ish text', 'fin\'check"id\'); --'],
  ['hostile-ids.unicode', 'ids in non-ASCII, with emoji and a right-to-left mark', 'fin-ü-日本-🙂-\u202e-id'],
  ['hostile-ids.long', 'ids 5,000 characters long', `fin-${'x'.repeat(4996)}`]
]

function hostileCheck ([id, what, value]: [string, string, string]): CheckDefinition {
  return {
    id,
    severity: 'error',
    lesser: 'warning',
    why: 'ids Fin never sends: a 5xx or no answer means the helpdesk broke on them (an error); a 2xx for an id that names nothing is a warning (the reference documents no status for unknown ids)',
    name: `${what} get a 4xx (unknown) and never a 5xx`,
    async run (ctx) {
      const attempts: Array<Promise<Exchange>> = [
        ctx.call('getUser', { user_id: value }),
        ctx.call('getConversation', { conversation_id: value }),
        ctx.call('getMessages', { conversation_id: value }),
        ctx.call('updateConversation', { conversation_id: value, status: 'open' }),
        ctx.call('updateUser', { user_id: value, attributes: { fin_check: ctx.run } })
      ]
      const results = await Promise.all(attempts)
      const broke = results.find((r) => r.status >= 500)
      const wrong = broke ?? results.find((r) => !is4xx(r.status))
      let afterProblem: string | undefined
      if (ctx.conversationId !== undefined && ctx.messageIds.length > 0) {
        // As after_id, a hostile id is an unknown one (the whole list), or refused as malformed (a 4xx).
        const after = await ctx.call('getMessages', { conversation_id: ctx.conversationId, after_id: value })
        if (after.status !== 200 && !is4xx(after.status)) afterProblem = `as after_id: ${answered(after, 100)}`
      }
      const severe = broke !== undefined || afterProblem !== undefined
      return {
        ok: wrong === undefined && afterProblem === undefined,
        sent: wrong?.sent ?? `get_user, get_conversation, get_messages, update_conversation, update_user with id ${JSON.stringify(value.slice(0, 30))}${value.length > 30 ? `… (${value.length} characters)` : ''}, and as after_id`,
        expected: 'HTTP 4xx for each unknown id (a 2xx is a warning, a 5xx an error); as after_id HTTP 200 (every message) or a 4xx',
        actual: broke !== undefined ? answered(broke, 120) : afterProblem ?? (wrong !== undefined ? answered(wrong, 120) : 'as expected'),
        hint: severe ? 'pass ids as query parameters, never into SQL text; limit their length with a 4xx' : 'an id that names nothing is a 404',
        ...(severe ? {} : { severity: 'warning' as const })
      }
    }
  }
}

export const securityChecks: CheckDefinition[] = [
  {
    id: 'oauth.token',
    severity: 'error',
    why: 'OAuth client credentials are Fin\'s default way to get its token: without one Fin cannot call (reference: authentication)',
    name: 'the token endpoint issues a token for Fin\'s client credentials',
    unless: (ctx) => (ctx.client.usesOAuth ? undefined : 'no OAuth client given (--token-url): a static token is used'),
    async run (ctx) {
      try {
        await ctx.client.token()
        return { ok: true, sent: 'POST the token URL, grant_type=client_credentials, Basic client id and secret', expected: 'HTTP 200 with access_token', actual: 'as expected' }
      } catch (err) {
        return { ok: false, sent: 'POST the token URL, grant_type=client_credentials, Basic client id and secret', expected: 'HTTP 200 with access_token', actual: (err as Error).message }
      }
    }
  },
  {
    id: 'oauth.refresh',
    severity: 'error',
    why: 'on a 401 or 403 Fin fetches a new token and retries once: a token the helpdesk does not know must get one of them (reference: authentication)',
    name: 'after a 401 or 403, one new token and the retried request succeeds',
    unless: (ctx) => (ctx.client.usesOAuth ? undefined : 'no OAuth client given (--token-url): a static token is used'),
    async run (ctx) {
      const before = ctx.client.tokensFetched
      ctx.client.useToken(`fin-helpdesk-check-revoked-${ctx.run}`)
      const res = await ctx.call('getAgents')
      const fetched = ctx.client.tokensFetched - before
      // Earlier runs' refused probes filled the helpdesk's failed-authentication limit: the refresh was not seen.
      if (res.status === 429 && res.headers.has('retry-after') && fetched === 0) throw new NotRun(`the helpdesk limits failed authentications from here (HTTP 429, Retry-After ${res.headers.get('retry-after')}): run again later`)
      return { ok: res.status === 200 && fetched === 1, sent: `${res.sent} with a token the helpdesk does not know`, expected: 'HTTP 401 or 403, then after one new token HTTP 200', actual: `${fetched} token(s) fetched, then ${answered(res, 80)}` }
    }
  },
  tokenCheck('auth.no-token', 'a request without a token is refused', () => ({ token: null })),
  tokenCheck('auth.wrong-token', 'a wrong token is refused', () => ({ token: 'fin-helpdesk-check-wrong-token' })),
  tokenCheck('auth.token-prefix', 'a token cut short (a prefix of the real one) is refused', (token) => (token.length > 1 ? { token: token.slice(0, -1) } : undefined), 'compare the whole token, not startsWith'),
  tokenCheck('auth.token-suffix', 'the real token with characters added is refused', (token) => ({ token: `${token}x` }), 'compare the whole token, not startsWith'),
  tokenCheck('auth.token-case', 'the real token in another case is refused', (token) => (swapCase(token) === token ? undefined : { token: swapCase(token) }), 'tokens are case-sensitive: only the word Bearer is not'),
  tokenCheck('auth.other-scheme', 'the real token under another scheme (Basic, Token) is refused', (token) => ({ authorization: `Token ${token}` })),
  {
    id: 'auth.scheme-case',
    severity: 'error',
    lesser: 'warning',
    why: 'RFC 7235 makes the scheme word case-insensitive, but Fin sends "Bearer": a helpdesk refusing "bearer" does not refuse Fin (a warning); a 5xx is an error',
    name: 'the scheme word is case-insensitive (RFC 7235): "bearer <token>" is accepted',
    async run (ctx) {
      const res = await ctx.call('getAgents', {}, { authorization: `bearer ${await ctx.client.token()}` })
      return { ok: res.status === 200, sent: `${res.sent} with Authorization: bearer …`, expected: 'HTTP 200', actual: answered(res, 80), ...lighter(res) }
    }
  },
  signatureCheck('signature.unsigned', 'a request without X-Fin-Signature is refused', () => ({ sign: false }), (ctx) => ({ user_id: ctx.user?.id ?? 'x' })),
  signatureCheck('signature.stale', 'a request signed 10 minutes ago is refused', () => ({ sign: { timestamp: Math.floor(Date.now() / 1000) - 600 } }), (ctx) => ({ user_id: ctx.user?.id ?? 'x' })),
  signatureCheck('signature.tampered', 'a request changed after signing is refused', (ctx) => ({
    sign: { tamper: ({ body, query }) => (body !== undefined ? { body: body.replace(/"user_id":"/, '"user_id":"x'), query } : { body, query: { ...query, user_id: `x${String(query?.user_id ?? '')}` } }) }
  }), (ctx) => ({ user_id: ctx.user?.id ?? 'x' })),
  {
    id: 'errors.code',
    severity: 'error',
    lesser: 'warning',
    why: 'the reference documents no error status or body in the standard variant: a 4xx with { code, message } is this project\'s choice (a warning); a 5xx or no answer is an error',
    name: 'an unknown user is a 4xx with { statusCode, code, error, message }',
    variant: 'standard',
    async run (ctx) {
      const res = await ctx.call('getUser', { user_id: `fin-helpdesk-check-missing-${ctx.run}` })
      const body = res.body as Rec | undefined
      const problem = !is4xx(res.status) ? answered(res) : typeof body?.code !== 'string' || typeof body?.message !== 'string' ? `HTTP ${res.status} without a string code and message: ${res.text.slice(0, 120)}` : undefined
      return { ok: problem === undefined, sent: res.sent, expected: 'HTTP 404 (or another 4xx) with a JSON body carrying code and message', actual: problem ?? 'as expected', hint: 'Fastify\'s error shape: { statusCode, code, error, message }', ...lighter(res) }
    }
  },
  {
    id: 'errors.problem',
    severity: 'error',
    lesser: 'warning',
    why: 'the reference has the POST-only { error: RFC 7807 problem } member but not when to send it or with which status: a 4xx with it is this project\'s choice (a warning); a 5xx or no answer is an error',
    name: 'an unknown user is a 4xx with { error: RFC 7807 problem }, error.status equal to the HTTP status',
    variant: 'posts-only',
    async run (ctx) {
      const res = await ctx.call('getUser', { user_id: `fin-helpdesk-check-missing-${ctx.run}` })
      const body = res.body as Rec | undefined
      let problem: string | undefined
      if (!is4xx(res.status)) problem = answered(res)
      else if (body === undefined || body === null || typeof body.error !== 'object' || body.error === null) problem = `no error member: ${res.text.slice(0, 120)}`
      else if (body.data !== undefined && body.data !== null) problem = 'data is set on a failure'
      else problem = verdict(compareShape(ProblemDetails, body.error, 'error').filter((f) => f.severity === 'error'), body.error.status === res.status ? undefined : `error.status ${body.error.status} on HTTP ${res.status}`).actual
      if (problem === 'as expected') problem = undefined
      return { ok: problem === undefined, sent: res.sent, expected: 'HTTP 404 (or another 4xx) and { "error": { type, title, status, detail, instance } }, data absent or null', actual: problem ?? 'as expected', ...lighter(res) }
    }
  },
  ...HOSTILE_IDS.map(hostileCheck)
]

/** Bad input: a 5xx or no answer is an error; a 4xx is wanted; a 2xx (taken as valid) is a warning. */
export const badInputChecks: CheckDefinition[] = [
  ...([
    ['malformed-json', 'malformed JSON', (ctx) => ctx.call('createUser', {}, { rawBody: '{"name": ' })],
    ['truncated-json', 'truncated JSON', (ctx) => ctx.call('createMessage', {}, { rawBody: '{"conversation_id":"x","body":"<p>' })],
    ['wrong-types', 'wrong types', (ctx) => ctx.call('createMessage', { conversation_id: 42, body: ['x'], author: 'fin' })],
    ['missing-ids', 'missing ids', (ctx) => ctx.call('updateConversation', { status: 'closed' })],
    ['bad-enum', 'a value outside an enum', (ctx) => ctx.call('updateConversation', { conversation_id: ctx.conversationId ?? 'x', status: 'archived-by-fin-helpdesk-check' })],
    ['proto-key', 'a __proto__ key', (ctx) => ctx.call('updateUser', {}, { rawBody: `{"user_id":"${ctx.user?.id ?? 'x'}","attributes":{"__proto__":{"polluted":true}}}` })],
    ['content-type', 'a body that is not JSON (text/plain)', (ctx) => ctx.call('createUser', {}, { rawBody: 'name=x', contentType: 'text/plain' })]
  ] as Array<[string, string, (ctx: CheckContext) => Promise<Exchange>]>).map(([id, what, attempt]): CheckDefinition => ({
    id: `bad-input.${id}`,
    severity: 'error',
    lesser: 'warning',
    why: 'input Fin never sends (the reference has well-formed JSON of its types): a 4xx is this project\'s choice, a 2xx a warning; a 5xx or no answer means the helpdesk broke (an error)',
    name: `${what} gets a 4xx, never a 5xx`,
    run: async (ctx) => survived(await attempt(ctx))
  })),
  // Sizes: the reference sets no maximum length or depth, so taking them is as fine as refusing them.
  ...([
    ['huge-string', 'a 300,000-character name', (ctx) => ctx.call('createUser', { name: 'x'.repeat(300_000), object_id: ctx.mark('user') })],
    ['deep-nesting', 'JSON nested 500 levels', (ctx) => ctx.call('updateUser', {}, { rawBody: `{"user_id":"${ctx.user?.id ?? 'x'}","attributes":${'{"a":'.repeat(500)}1${'}'.repeat(500)}}` })]
  ] as Array<[string, string, (ctx: CheckContext) => Promise<Exchange>]>).map(([id, what, attempt]): CheckDefinition => ({
    id: `bad-input.${id}`,
    severity: 'error',
    why: 'the reference sets no maximum length or depth: a 2xx (taken) and a 4xx (a limit of the helpdesk) are both fine; only a 5xx or no answer is an error (the helpdesk broke)',
    name: `${what} is answered, never with a 5xx`,
    async run (ctx) {
      const res = await attempt(ctx)
      return { ok: is2xx(res.status) || is4xx(res.status), sent: res.sent, expected: 'HTTP 2xx (taken) or 4xx (over a limit), never a 5xx', actual: answered(res, 120) }
    }
  }))
]
