// The benchmark's machinery: servers and the load generator in processes of their own, alternating rounds, CPU per
// request from each server's process.cpuUsage(), medians with min-max. Knobs: FIN_BENCH_SECONDS (per run),
// FIN_BENCH_ROUNDS (alternating rounds per figure), FIN_BENCH_CONNECTIONS.
import { fork, type ChildProcess } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { LoadReply, LoadRequest, LoadResult, LoadSpec, FillSpec, ParentMessage, ServerConfig, ServerKind, ServerMessage } from './protocol.js'
import type { Seeded } from './apps.js'

export const SECONDS = Number(process.env.FIN_BENCH_SECONDS ?? 4)
export const ROUNDS = Number(process.env.FIN_BENCH_ROUNDS ?? 5)
export const CONNECTIONS = Number(process.env.FIN_BENCH_CONNECTIONS ?? 50)
/** An unmeasured run per server before the rounds, so the first round does not pay for the JIT's warm-up. */
export const WARMUP_SECONDS = 1

const EXEC_ARGV = ['--expose-gc', '--import', '@tapjs/typescript/import']
/** FIN_BENCH_PROFILE=<dir>: every server writes a V8 CPU profile there when it stops (open it in Chrome DevTools). */
const profile = (): string[] => process.env.FIN_BENCH_PROFILE === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.FIN_BENCH_PROFILE}`]

export interface Usage { cpu: number, heapUsed: number, rss: number }

export interface Server {
  name: string
  url: string
  ids: Seeded
  note: string | undefined
  usage: (gc?: boolean) => Promise<Usage>
  close: () => Promise<void>
}

/** Starts test/bench/server.ts with `kind` in a child process; stdout goes to `logFile` (or nowhere). */
export async function startServer (kind: ServerKind, config: ServerConfig = {}, logFile?: string): Promise<Server> {
  const out = logFile === undefined ? 'ignore' : openSync(logFile, 'w')
  const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [kind, JSON.stringify(config)], {
    execArgv: [...EXEC_ARGV, ...profile()], stdio: ['ignore', out, 'inherit', 'ipc']
  })
  if (typeof out === 'number') closeSync(out)
  const ready = await new Promise<Extract<ServerMessage, { type: 'ready' }>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server ${kind} exited with ${code}`)))
    child.once('message', (message: ServerMessage) => { if (message.type === 'ready') resolve(message) })
  })
  child.removeAllListeners('exit')
  return {
    name: kind,
    url: ready.url,
    ids: ready.ids!,
    note: ready.note,
    usage: (gc = false) => new Promise<Usage>((resolve) => {
      child.once('message', (message: ServerMessage) => { if (message.type === 'usage') resolve(message) })
      child.send({ type: 'usage', gc } satisfies ParentMessage)
    }),
    close: () => stop(child)
  }
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.disconnect()
  await exited
}

/** The load generator: one long-lived child process running autocannon (and the fill) on request. */
export class Loader {
  readonly #child = fork(fileURLToPath(new URL('./load.ts', import.meta.url)), [], { execArgv: EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  #next = 0

  run (spec: LoadSpec): Promise<LoadResult> { return this.#ask({ type: 'run', spec }) }
  fill (spec: FillSpec): Promise<LoadResult> { return this.#ask({ type: 'fill', spec }) }
  close (): Promise<void> { return stop(this.#child) }

  #ask (request: Omit<LoadRequest, 'id'> & { type: LoadRequest['type'] }): Promise<LoadResult> {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      const listener = (reply: LoadReply): void => {
        if (reply.id !== id) return
        this.#child.off('message', listener)
        if ('error' in reply) reject(new Error(reply.error))
        else resolve(reply.result)
      }
      this.#child.on('message', listener)
      this.#child.send({ ...request, id } as LoadRequest)
    })
  }
}

/** One run's figures: throughput, and the server's CPU time per request (user + system). */
export interface Sample { rps: number, cpuPerRequest: number, p99: number, failures: number }

/** Runs one bounded load against a server and reads the server's CPU time around it. */
export async function measure (loader: Loader, server: Server, spec: Omit<LoadSpec, 'url' | 'seconds' | 'connections'>, seconds = SECONDS): Promise<Sample> {
  const before = await server.usage()
  const result = await loader.run({ url: server.url, seconds, connections: CONNECTIONS, ...spec })
  const after = await server.usage()
  return { rps: result.requests / result.seconds, cpuPerRequest: (after.cpu - before.cpu) / result.requests, p99: result.p99, failures: result.failures }
}

export interface Stat { median: number, min: number, max: number }
export interface Figures { rps: Stat, cpu: Stat, p99: Stat, failures: number, samples: Sample[] }

export function stat (values: number[]): Stat {
  if (values.length === 0) throw new Error('no values')
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { median, min: sorted[0]!, max: sorted.at(-1)! }
}

export function summarize (samples: Sample[]): Figures {
  return {
    rps: stat(samples.map((s) => s.rps)),
    cpu: stat(samples.map((s) => s.cpuPerRequest)),
    p99: stat(samples.map((s) => s.p99)),
    failures: samples.reduce((sum, s) => sum + s.failures, 0),
    samples
  }
}

export interface Contender { name: string, server: Server, spec: Omit<LoadSpec, 'url' | 'seconds' | 'connections'> }

/**
 * Every contender once per round, in turn (so drift on a shared machine hits all of them alike), after one short
 * unmeasured warm-up each; then the median, min and max of each measure per contender. Each round starts one
 * contender further on, so none is always the first (or the last) of a round.
 */
export async function alternate (loader: Loader, contenders: Contender[], rounds = ROUNDS): Promise<Map<string, Figures>> {
  for (const c of contenders) await loader.run({ url: c.server.url, seconds: WARMUP_SECONDS, connections: CONNECTIONS, ...warm(c.spec) })
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const c of [...contenders.slice(round % contenders.length), ...contenders.slice(0, round % contenders.length)]) {
      samples.get(c.name)!.push(await measure(loader, c.server, c.spec.post === undefined ? c.spec : { ...c.spec, post: { ...c.spec.post, prefix: `${c.spec.post.prefix}_r${round}` } }))
    }
  }
  return new Map([...samples].map(([name, s]) => [name, summarize(s)]))
}

const warm = (spec: Contender['spec']): Contender['spec'] =>
  spec.post === undefined ? spec : { ...spec, post: { ...spec.post, prefix: `${spec.post.prefix}_warm` } }

export const fixed = (value: number, digits = 0): string => value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const range = (s: Stat, digits: number): string => `${fixed(s.median, digits)} (${fixed(s.min, digits)}-${fixed(s.max, digits)})`

/**
 * A table of contenders against `baseline`: req/s and CPU µs per request as median (min-max), and both as ratios to
 * the baseline, oriented alike (above 1 = better than the baseline): req/s over the baseline's, the baseline's CPU
 * per request over the contender's.
 */
export function table (figures: Map<string, Figures>, baseline: string, labels: Record<string, string> = {}): string {
  const base = figures.get(baseline)!
  const lines = [
    `| server | req/s, median (min-max) | ratio to ${labels[baseline] ?? baseline} | server CPU µs/request, median (min-max) | CPU ratio | p99 ms |`,
    '|---|---|---|---|---|---|'
  ]
  for (const [name, f] of figures) {
    const same = name === baseline
    lines.push(`| ${labels[name] ?? name} | ${range(f.rps, 0)} | ${same ? '1' : `**${fixed(f.rps.median / base.rps.median, 3)}**`} | ${range(f.cpu, 1)} | ` +
      `${same ? '1' : `**${fixed(base.cpu.median / f.cpu.median, 3)}**`} | ${fixed(f.p99.median)}${f.failures > 0 ? ` (${f.failures} failed!)` : ''} |`)
  }
  return lines.join('\n')
}
