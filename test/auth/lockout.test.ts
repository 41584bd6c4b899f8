import t from 'tap'
import { ATTACKER, buildLockoutApp, CLIENT, getAgents, type LockoutApp } from '../fixtures/lockout.js'

// Someone else's failures never lock Fin out: an IP past its failed-authentication limit is still refused for
// wrong credentials, but a valid credential from it passes.

const tokenRequest = (app: LockoutApp, secret: string) => app.inject({
  method: 'POST', url: '/fin/oauth/token', remoteAddress: ATTACKER, payload: { grant_type: 'client_credentials', client_id: CLIENT.id, client_secret: secret }
})

t.test('20 wrong tokens (the default limit) do not lock out the valid static or OAuth token', async (t) => {
  const app = await buildLockoutApp(t)
  const issued = await tokenRequest(app, CLIENT.secret)
  const accessToken = issued.json().access_token as string
  const statuses: number[] = []
  for (let i = 0; i < 20; i++) statuses.push((await getAgents(app, `guess-${i}`)).statusCode)
  t.same(new Set(statuses), new Set([401]), 'the first 20 wrong tokens are 401')
  const blocked = await getAgents(app, 'guess-20')
  t.equal(blocked.statusCode, 429, 'past the limit, wrong tokens are 429')
  t.match(blocked.json(), { code: 'FIN_ERR_AUTH_RATE_LIMITED' })
  t.equal((await getAgents(app, 'static-fin-token')).statusCode, 200, 'the static token passes')
  t.equal((await getAgents(app, accessToken)).statusCode, 200, 'the OAuth token passes')
  const posts = await app.inject({ method: 'POST', url: '/fin/get_agents', remoteAddress: ATTACKER, headers: { authorization: 'Bearer static-fin-token' } })
  t.equal(posts.statusCode, 200, 'the POST-only variant too')
  t.equal((await getAgents(app, 'guess-21')).statusCode, 429, 'and wrong tokens are still 429 after a success')
})

t.test('wrong client secrets do not lock out the valid one at the token endpoint', async (t) => {
  const app = await buildLockoutApp(t, { authFailureLimit: { max: 3, timeWindow: 60_000 } })
  for (let i = 0; i < 3; i++) t.equal((await tokenRequest(app, `wrong-secret-${i}-0123456789`)).statusCode, 401)
  const blocked = await tokenRequest(app, 'wrong-secret-x-0123456789')
  t.equal(blocked.statusCode, 429)
  t.match(blocked.json(), { error: 'temporarily_unavailable' })
  const valid = await tokenRequest(app, CLIENT.secret)
  t.equal(valid.statusCode, 200, 'a valid client secret gets its token')
  t.equal((await getAgents(app, valid.json().access_token)).statusCode, 200)
  t.equal((await tokenRequest(app, 'wrong-secret-y-0123456789')).statusCode, 429, 'wrong secrets stay limited')
})

t.test('a flood of wrong tokens does not spend the valid client\'s rate limit', async (t) => {
  const app = await buildLockoutApp(t, { rateLimit: { max: 3, timeWindow: 60_000 }, authFailureLimit: false })
  for (let i = 0; i < 10; i++) t.equal((await getAgents(app, `guess-${i}`)).statusCode, 401)
  for (let i = 0; i < 3; i++) t.equal((await getAgents(app, 'static-fin-token')).statusCode, 200, `valid request ${i + 1}`)
  t.equal((await getAgents(app, 'static-fin-token')).statusCode, 429, 'the client\'s own fourth request is over its limit')
  t.equal((await tokenRequest(app, CLIENT.secret)).statusCode, 200, 'another client (the OAuth one) has its own budget')
})
