// The load generator, in a process of its own (started by harness.ts with an IPC channel): autocannon runs, and
// the cost-growth fill through the API. Never in a server's process: it would share, and measure, its event loop.
import autocannon, { type Request } from 'autocannon'
import { FIN, TOKEN } from './apps.js'
import type { FillSpec, LoadReply, LoadRequest, LoadResult, LoadSpec } from './protocol.js'

const AUTH = { authorization: `Bearer ${TOKEN}` }
const BODY = '<p>Thanks, that <b>helps</b>. One more <a href="https://example.com/q">question</a>.</p>'

async function run (spec: LoadSpec): Promise<LoadResult> {
  let counter = 0
  const headers = { ...AUTH, 'content-type': 'application/json' }
  let requests: Request[] | undefined
  if (spec.send !== undefined) {
    requests = [{ method: spec.send.method, path: spec.path, headers, body: JSON.stringify(spec.send.body) }]
  } else if (spec.post !== undefined) {
    const post = spec.post
    requests = [{
      method: 'POST',
      path: spec.path,
      headers,
      setupRequest: (request: Request) => ({
        ...request,
        body: JSON.stringify({ conversation_id: post.conversationId, message_type: 'comment', body: BODY, author: { id: FIN.id, user_type: 'agent' }, visibility: 'public', object_id: `${post.prefix}_${counter++}` })
      })
    }]
  }
  const result = await autocannon({ url: spec.url + spec.path, headers: AUTH, connections: spec.connections, duration: spec.seconds, ...(requests === undefined ? {} : { requests }) })
  return {
    requests: result.requests.total,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors
  }
}

async function post (url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = await response.json() as Record<string, unknown>
  if (response.status !== 201 && response.status !== 200) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

/** Conversations of `messages` messages each, written through the API by `concurrency` workers. */
async function fill (spec: FillSpec): Promise<LoadResult> {
  const started = process.hrtime.bigint()
  let next = 0
  let requests = 0
  const worker = async (): Promise<void> => {
    while (next < spec.conversations) {
      const c = next++
      const user = await post(`${spec.url}/user`, { name: `User ${c}`, email: `user${c}@example.com`, object_id: `fill_u${c}` })
      const created = await post(`${spec.url}/conversation`, {
        user_id: user.id, title: `Question ${c}`, initial_message: { body: '<p>How much is the Pro plan?</p>', object_id: `fill_c${c}_0` }
      }) as { conversation: { id: string } }
      for (let m = 1; m < spec.messages; m++) {
        await post(`${spec.url}/messages`, { conversation_id: created.conversation.id, author: { id: FIN.id, user_type: 'agent' }, body: `<p>Answer ${m}: our Pro plan is $20 a month.</p>`, object_id: `fill_c${c}_${m}` })
      }
      requests += spec.messages + 1
    }
  }
  await Promise.all(Array.from({ length: spec.concurrency }, worker))
  return { requests, seconds: Number(process.hrtime.bigint() - started) / 1e9, p50: 0, p99: 0, failures: 0 }
}

process.on('message', (message: LoadRequest) => {
  const work = message.type === 'run' ? run(message.spec) : fill(message.spec)
  work.then(
    (result) => { process.send!({ id: message.id, result } satisfies LoadReply) },
    (err: unknown) => { process.send!({ id: message.id, error: String(err) } satisfies LoadReply) }
  )
})
process.on('disconnect', () => process.exit(0))
