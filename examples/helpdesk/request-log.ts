import type { FastifyInstance } from 'fastify'

/**
 * One log line per answered request, with what an operator needs: method, URL, status, time taken (ms) and the
 * client's IP, beside the request id the logger already binds. The app turns off Fastify's own request logging
 * (`disableRequestLogging`), which writes two lines per request (incoming, completed) and twice the bytes.
 * Errors keep their own line from Fastify's error handler.
 */
export function logRequests (app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      ip: request.ip
    }, 'request')
    done()
  })
}
