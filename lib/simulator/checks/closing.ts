// Checks over everything seen during the run (envelopes, the reference's shapes), and the helpdesk's webhook.
import { FinWebhookReceiver, type WebhookRequest } from '../webhook-receiver.js'
import type { CheckDefinition, ObjectKind } from './context.js'

function referenceCheck (kind: ObjectKind, what: string): CheckDefinition {
  return {
    id: `${kind}.reference`,
    severity: 'warning',
    name: `${what} as the reference has them: no null for an object, no unknown fields, what was sent comes back`,
    async run (ctx) {
      const found = ctx.findings[kind]
      const first = found[0]
      return {
        ok: first === undefined,
        sent: first?.sent ?? 'every answer of the run',
        expected: 'the fields of the reference only, each of its type',
        actual: first === undefined ? 'as expected' : [...new Set(found.map((f) => f.text))].slice(0, 3).join('; '),
        hint: found.find((f) => f.hint !== undefined)?.hint
      }
    }
  }
}

export const closingChecks: CheckDefinition[] = [
  {
    id: 'envelope.data',
    severity: 'error',
    name: 'every success is wrapped as { "data": … } (no error member, or null)',
    variant: 'posts-only',
    async run (ctx) {
      const first = ctx.envelopeProblems[0]
      return { ok: first === undefined, sent: first?.sent ?? 'every request of the run', expected: 'a { data } envelope on each 2xx', actual: first?.actual ?? 'as expected' }
    }
  },
  referenceCheck('agent', 'Agents'),
  referenceCheck('user', 'End-users'),
  referenceCheck('conversation', 'Conversations'),
  referenceCheck('message', 'Messages')
]

/** Waits for one webhook from the helpdesk (the person running the check makes a change meanwhile). */
async function receiveWebhook (options: { port: number, integrationId: string, webhookKey: string, timeout?: number }, notice: (port: number) => void): Promise<WebhookRequest | undefined> {
  let settle: (request: WebhookRequest | undefined) => void = () => {}
  const arrived = new Promise<WebhookRequest | undefined>((resolve) => { settle = resolve })
  // Every request counts, right or wrong: the checks below say what is wrong with it.
  const receiver = new FinWebhookReceiver({ ...options, onRequest: (request, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); settle(request); return true } })
  // The port it listens on, which --webhook-port 0 leaves to the system: the notice names it.
  notice(Number(new URL(await receiver.listen()).port))
  const timer = setTimeout(() => settle(undefined), options.timeout ?? 120_000)
  const request = await arrived
  clearTimeout(timer)
  await receiver.close()
  return request
}

export function webhookChecks (): CheckDefinition[] {
  const path = (integrationId: string) => `/custom_helpdesk_conversation_event/${encodeURIComponent(integrationId)}`
  return [
    {
      id: 'webhook.received',
      severity: 'error',
      name: 'the helpdesk notifies Fin of a change, at the path with the integration id',
      when: (ctx) => ctx.options.webhook !== undefined && ctx.conversationId !== undefined,
      async run (ctx) {
        const options = ctx.options.webhook!
        const request = await ctx.once('webhook', () => receiveWebhook(options, (port) => ctx.options.onNotice?.(`Waiting for the helpdesk's sync webhook on port ${port}: make a change to conversation ${ctx.conversationId} in the helpdesk (e.g. reply as an agent).`)))
        const expected = `POST ${path(options.integrationId)}`
        if (request === undefined) return { ok: false, sent: '(waiting)', expected, actual: 'nothing arrived within the timeout' }
        return { ok: request.method === 'POST' && request.path === path(options.integrationId), sent: '(waiting)', expected, actual: `${request.method} ${request.path}` }
      }
    },
    {
      id: 'webhook.key',
      severity: 'error',
      name: 'the webhook carries X-Webhook-Key',
      when: (ctx) => ctx.options.webhook !== undefined && ctx.conversationId !== undefined,
      async run (ctx) {
        const request = ctx.need(await ctx.once<WebhookRequest | undefined>('webhook', async () => undefined), 'a webhook')
        const key = request.headers['x-webhook-key']
        return { ok: key === ctx.options.webhook!.webhookKey, sent: '(waiting)', expected: 'the webhook key', actual: key === undefined ? 'missing' : 'a different key' }
      }
    },
    {
      id: 'webhook.body',
      severity: 'error',
      name: 'the webhook body is { conversation_id } of the changed conversation',
      when: (ctx) => ctx.options.webhook !== undefined && ctx.conversationId !== undefined,
      async run (ctx) {
        const request = ctx.need(await ctx.once<WebhookRequest | undefined>('webhook', async () => undefined), 'a webhook')
        const body = request.body as { conversation_id?: unknown, event_type?: unknown } | undefined
        return { ok: body?.conversation_id === ctx.conversationId && (body?.event_type ?? null) === null, sent: '(waiting)', expected: JSON.stringify({ conversation_id: ctx.conversationId }), actual: request.text.slice(0, 200) }
      }
    }
  ]
}
