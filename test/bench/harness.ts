import autocannon, { type Options } from 'autocannon'
import type { FastifyInstance } from 'fastify'

/** Seconds per autocannon run (FIN_BENCH_SECONDS), and alternating rounds per figure (FIN_BENCH_ROUNDS). */
export const SECONDS = Number(process.env.FIN_BENCH_SECONDS ?? 3)
export const ROUNDS = Number(process.env.FIN_BENCH_ROUNDS ?? 3)
export const CONNECTIONS = 10

export interface Figure {
  rps: number
  p50: number
  p99: number
  non2xx: number
}

export async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  return `http://127.0.0.1:${address.port}`
}

/** One bounded autocannon run. */
export async function load (options: Options): Promise<Figure> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options })
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx + result.errors }
}

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Runs each contender ROUNDS times, alternating, and returns the median of each measure per contender. */
export async function alternate<K extends string> (contenders: Record<K, () => Promise<Figure>>): Promise<Record<K, Figure>> {
  const runs = {} as Record<K, Figure[]>
  for (const name of Object.keys(contenders) as K[]) runs[name] = []
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(contenders) as K[]) runs[name].push(await contenders[name]())
  }
  const out = {} as Record<K, Figure>
  for (const name of Object.keys(runs) as K[]) {
    const figures = runs[name]
    out[name] = {
      rps: median(figures.map((f) => f.rps)),
      p50: median(figures.map((f) => f.p50)),
      p99: median(figures.map((f) => f.p99)),
      non2xx: figures.reduce((sum, f) => sum + f.non2xx, 0)
    }
  }
  return out
}

export const round = (value: number, digits = 0): string => value.toFixed(digits)
