import t from 'tap'
import { buildApp, FIN_AGENT, HUMAN_AGENT } from '../../fixtures/app.js'

t.test('standard: GET /agents lists agents with alias', async (t) => {
  const { call } = await buildApp(t)
  const res = await call('GET', '/agents')
  t.equal(res.statusCode, 200)
  t.same(res.json(), [
    { id: FIN_AGENT.id, user_type: 'agent', name: 'Fin', email: 'fin@example.com', photo_url: FIN_AGENT.photo_url, alias: 'Fin' },
    { id: HUMAN_AGENT.id, user_type: 'agent', name: 'Sarah Johnson', email: 'sarah@example.com', photo_url: null, alias: null }
  ])
})

t.test('posts-only: POST /get_agents carries alias_name, with or without a body', async (t) => {
  const { call, app } = await buildApp(t)
  const expected = {
    data: [
      { id: FIN_AGENT.id, user_type: 'agent', name: 'Fin', email: 'fin@example.com', photo_url: FIN_AGENT.photo_url, alias_name: 'Fin' },
      { id: HUMAN_AGENT.id, user_type: 'agent', name: 'Sarah Johnson', email: 'sarah@example.com', photo_url: null, alias_name: null }
    ]
  }
  const withBody = await call('POST', '/get_agents', {})
  t.equal(withBody.statusCode, 200)
  t.same(withBody.json(), expected)
  const noBody = await call('POST', '/get_agents')
  t.same(noBody.json(), expected)
  const emptyJson = await app.inject({ method: 'POST', url: '/fin/get_agents', headers: { authorization: 'Bearer test-token-0123456789abcdef', 'content-type': 'application/json' }, payload: '' })
  t.equal(emptyJson.statusCode, 200, 'an empty JSON body is no body')
  t.same(emptyJson.json(), expected)
})
