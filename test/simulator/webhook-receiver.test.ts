import t from 'tap'
import { FinWebhookReceiver } from '../../lib/simulator/webhook-receiver.js'

// Fin's side of the webhook: what it refuses (and why), what it accepts, and fault injection through onRequest.

t.test('refused: another method or path, a wrong key, no JSON, JSON without a conversation_id', async (t) => {
  const refused: string[] = []
  const receiver = new FinWebhookReceiver({ integrationId: 'int/1', webhookKey: 'key', onRefused: (problem, request) => { refused.push(`${request.method} ${problem}`) } })
  t.throws(() => receiver.url, new Error('listen() first'))
  await receiver.listen()
  t.teardown(() => receiver.close())
  t.equal(receiver.path, '/custom_helpdesk_conversation_event/int%2F1')
  t.match(receiver.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(receiver.server.listening, true)
  const send = (init: RequestInit & { path?: string }) => fetch(`${receiver.url}${init.path ?? receiver.path}`, { method: 'POST', ...init, headers: { 'x-webhook-key': 'key', ...init.headers } })
  const cases: Array<[string, RequestInit & { path?: string }, number, string]> = [
    ['GET', { method: 'GET' }, 404, 'webhook to GET /custom_helpdesk_conversation_event/int%2F1, expected POST /custom_helpdesk_conversation_event/int%2F1'],
    ['no key', { headers: { 'x-webhook-key': '' }, body: '{"conversation_id":"c1"}' }, 401, 'webhook with a wrong X-Webhook-Key'],
    ['empty body', {}, 400, 'webhook body is not JSON'],
    ['JSON null', { body: 'null' }, 400, 'webhook without conversation_id'],
    ['a number id', { body: '{"conversation_id":7}' }, 400, 'webhook without conversation_id']
  ]
  for (const [name, init, status, problem] of cases) {
    const res = await send(init)
    t.equal(res.status, status, name)
    t.same(await res.json(), { error: problem }, name)
  }
  t.same(refused, cases.map(([, init, , problem]) => `${init.method ?? 'POST'} ${problem}`))
  t.same(receiver.events, [])
  t.equal(receiver.requests.length, cases.length, 'every request is recorded, refused or not')
  t.match(receiver.requests[4], { method: 'POST', text: '{"conversation_id":7}', body: { conversation_id: 7 } })
})

t.test('accepted: event_type null unless a string, the agent from data, onEvent after the 200', async (t) => {
  const seen: Array<[string, string | null]> = []
  const receiver = new FinWebhookReceiver({ integrationId: 'int', webhookKey: 'key', onEvent: (event, request) => { seen.push([event.conversation_id, request.text]) } })
  await receiver.listen()
  t.teardown(() => receiver.close())
  const send = (body: unknown) => fetch(`${receiver.url}${receiver.path}`, { method: 'POST', headers: { 'x-webhook-key': 'key' }, body: JSON.stringify(body) })
  for (const body of [{ conversation_id: 'c1', event_type: 42 }, { conversation_id: 'c2', event_type: 'agent_typing', data: { agent: { id: 'a1' } } }, { conversation_id: 'c3', data: {} }]) {
    const res = await send(body)
    t.equal(res.status, 200)
    t.equal(await res.text(), '{}')
  }
  t.match(receiver.events, [{ conversation_id: 'c1', event_type: null, agent: undefined, at: Number }, { conversation_id: 'c2', event_type: 'agent_typing', agent: { id: 'a1' } }, { conversation_id: 'c3', event_type: null, agent: undefined }])
  t.same(seen.map(([id]) => id), ['c1', 'c2', 'c3'])
})

t.test('onRequest answers first (fault injection); returning false lets the receiver judge', async (t) => {
  let fail = true
  const receiver = new FinWebhookReceiver({
    integrationId: 'int',
    webhookKey: 'key',
    onRequest: (_request, res) => {
      if (!fail) return false
      res.writeHead(503).end('try later')
      return true
    }
  })
  await receiver.listen()
  t.teardown(() => receiver.close())
  const send = () => fetch(`${receiver.url}${receiver.path}`, { method: 'POST', headers: { 'x-webhook-key': 'key' }, body: '{"conversation_id":"c1"}' })
  const first = await send()
  t.equal(first.status, 503)
  t.equal(await first.text(), 'try later')
  t.same(receiver.events, [], 'an injected fault accepts nothing')
  fail = false
  t.equal((await send()).status, 200)
  t.equal(receiver.events.length, 1)
  t.equal(receiver.requests.length, 2)
})

t.test('a fixed port', async (t) => {
  const probe = new FinWebhookReceiver({ integrationId: 'i', webhookKey: 'k' })
  const port = Number(new URL(await probe.listen()).port)
  await probe.close()
  const receiver = new FinWebhookReceiver({ integrationId: 'i', webhookKey: 'k', port })
  t.equal(await receiver.listen(), `http://127.0.0.1:${port}`)
  await receiver.close()
})
