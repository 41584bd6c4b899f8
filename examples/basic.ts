// The smallest real use: the Fin API on MemoryStorage, with the agent that represents Fin seeded and a listener
// that reacts to handovers. Run it with `node dist/examples/basic.js` after `npm run build`.
import Fastify, { type FastifyInstance } from 'fastify'
import finHelpdesk, { MemoryStorage } from '../lib/index.js'

export interface BasicAppOptions {
  token: string
}

export async function buildBasicApp ({ token }: BasicAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  const storage = new MemoryStorage()
  await storage.upsertAgent({ id: 'agent_fin', name: 'Fin', email: 'fin@example.com', alias: 'Fin' })
  await app.register(finHelpdesk, { prefix: '/api/fin', tokens: [token], storage })

  // A human must take over: this is where a real helpdesk would page its support team.
  app.fin.events.on('conversation.handover', ({ conversation }) => {
    app.log.info({ conversation: conversation.id, user: conversation.user.id }, 'Fin handed a conversation over')
  })
  return app
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = await buildBasicApp({ token: process.env.FIN_API_TOKEN ?? 'change-me-to-32-random-bytes' })
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) })
}
