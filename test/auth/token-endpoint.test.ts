import Fastify from 'fastify'
import t, { type Test } from 'tap'
import finHelpdesk, { type FinHelpdeskOptions } from '../../lib/index.js'

// The token endpoint's edges: how the client authenticates (Basic or the body), what the body may be, and the
// RFC 6749 section 5.2 error for every way a request can be wrong.
const FIN_CLIENT = { id: 'fin.user', secret: 'fin secret+0123456789/abcdef' }
const URL_ = '/api/fin/oauth/token'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const JSON_ = { 'content-type': 'application/json' }

async function build (t: Test, options: Partial<FinHelpdeskOptions> = {}) {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(finHelpdesk, { prefix: '/api/fin', oauth: { clients: [FIN_CLIENT] }, rateLimit: false, authFailureLimit: false, ...options })
  await app.ready()
  return app
}

const base64 = (text: string) => Buffer.from(text).toString('base64')
/** RFC 6749 section 2.3.1: form-encoding (a space is "+"), then base64. */
const basic = (id: string, secret: string) => `Basic ${base64(`${new URLSearchParams({ a: id }).toString().slice(2)}:${new URLSearchParams({ a: secret }).toString().slice(2)}`)}`

t.test('Basic credentials are form-decoded ("+" is a space, %XX escapes), the scheme is case-insensitive', async (t) => {
  const app = await build(t)
  for (const authorization of [basic(FIN_CLIENT.id, FIN_CLIENT.secret), basic(FIN_CLIENT.id, FIN_CLIENT.secret).replace('Basic', 'bAsIc'), `${basic(FIN_CLIENT.id, FIN_CLIENT.secret)}  `]) {
    const res = await app.inject({ method: 'POST', url: URL_, headers: { ...FORM, authorization }, payload: 'grant_type=client_credentials' })
    t.equal(res.statusCode, 200, authorization)
    t.match(res.json(), { token_type: 'Bearer', expires_in: 3600, access_token: String })
  }
  const json = await app.inject({ method: 'POST', url: URL_, headers: JSON_, payload: { grant_type: 'client_credentials', client_id: FIN_CLIENT.id, client_secret: FIN_CLIENT.secret } })
  t.equal(json.statusCode, 200, 'body credentials, JSON, taken as they are')
})

t.test('malformed credentials: invalid_client, 401, with a challenge naming the error when Basic was tried', async (t) => {
  const app = await build(t)
  const cases: Array<[string, Record<string, string>, string, string, RegExp, string]> = [
    ['Basic without a colon', { ...FORM, authorization: `Basic ${base64('finsecret')}` }, 'grant_type=client_credentials', 'invalid_client', /malformed Basic credentials/, 'Basic realm="fin", error="invalid_client"'],
    ['Basic with a bad %-escape', { ...FORM, authorization: `Basic ${base64('fin%zz:secret')}` }, 'grant_type=client_credentials', 'invalid_client', /malformed Basic credentials/, 'Basic realm="fin", error="invalid_client"'],
    ['Bearer instead of Basic', { ...FORM, authorization: 'Bearer abc' }, 'grant_type=client_credentials', 'invalid_client', /malformed Basic credentials/, 'Basic realm="fin", error="invalid_client"'],
    ['a client_secret without a client_id', FORM, 'grant_type=client_credentials&client_secret=x', 'invalid_client', /client authentication is required/, 'Basic realm="fin"'],
    ['an empty client_id', FORM, 'grant_type=client_credentials&client_id=&client_secret=x', 'invalid_client', /client authentication is required/, 'Basic realm="fin"'],
    ['a client_id without a client_secret', FORM, 'grant_type=client_credentials&client_id=fin', 'invalid_client', /client authentication is required/, 'Basic realm="fin"']
  ]
  for (const [name, headers, payload, error, description, challenge] of cases) {
    const res = await app.inject({ method: 'POST', url: URL_, headers, payload })
    t.equal(res.statusCode, 401, name)
    t.match(res.json(), { error, error_description: description }, name)
    t.equal(res.headers['www-authenticate'], challenge, `${name}: challenge`)
  }
})

t.test('Basic and a client_secret in the body at once: invalid_request', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: URL_, headers: { ...FORM, authorization: basic(FIN_CLIENT.id, FIN_CLIENT.secret) }, payload: `grant_type=client_credentials&client_secret=${encodeURIComponent(FIN_CLIENT.secret)}` })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { error: 'invalid_request', error_description: 'use one way to authenticate the client: Basic or the body, not both' })
  t.equal(res.headers['www-authenticate'], undefined)
})

t.test('what the body may be: nothing, a JSON object; not an array, a string, null fields or too large', async (t) => {
  const app = await build(t)
  const auth = { authorization: basic(FIN_CLIENT.id, FIN_CLIENT.secret) }
  const empty = await app.inject({ method: 'POST', url: URL_, headers: auth })
  t.equal(empty.statusCode, 400, 'no body: authenticated, then the grant type is missing')
  t.same(empty.json(), { error: 'invalid_request', error_description: 'grant_type is required' })
  const nobody = await app.inject({ method: 'POST', url: URL_ })
  t.equal(nobody.statusCode, 401, 'no body and no Basic: no client')
  t.match(nobody.json(), { error: 'invalid_client' })
  const cases: Array<[string, string, RegExp]> = [
    ['a JSON array', '[["grant_type","client_credentials"]]', /^the body must be form-encoded or a JSON object$/],
    ['a JSON string', '"grant_type=client_credentials"', /^the body must be form-encoded or a JSON object$/],
    ['a JSON array value', '{"grant_type":["client_credentials"]}', /^grant_type is given more than once$/],
    ['a JSON null value', '{"grant_type":null}', /^grant_type must be a string$/]
  ]
  for (const [name, payload, description] of cases) {
    const res = await app.inject({ method: 'POST', url: URL_, headers: { ...JSON_, ...auth }, payload })
    t.equal(res.statusCode, 400, name)
    t.match(res.json(), { error: 'invalid_request', error_description: description }, name)
  }
  const large = await app.inject({ method: 'POST', url: URL_, headers: { ...FORM, ...auth }, payload: `grant_type=client_credentials&pad=${'x'.repeat(9000)}` })
  t.equal(large.statusCode, 400, 'over the 8 KiB body limit: a 413 told as invalid_request')
  t.match(large.json(), { error: 'invalid_request', error_description: /body/i })
  t.equal(large.headers['cache-control'], 'no-store')
})
