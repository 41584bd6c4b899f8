// The messages between the benchmark's parent and its server and load processes (over Node's IPC channel).
import type { Seeded } from './apps.js'

export type ServerKind = 'bare' | 'bare-otel' | 'plugin-memory' | 'glue' | 'plugin-sqlite' | 'plugin-sqlite-single' | 'plugin-postgres' | 'hand-sqlite' | 'example'

export interface ServerConfig {
  /** SQLite file (seeded by the parent). */
  path?: string
  /** PostgreSQL connection string and schema (seeded by the parent). */
  url?: string
  schema?: string
  /** What the parent seeded, handed back with `ready`. */
  ids?: Seeded
}

export type ParentMessage = { type: 'usage', gc?: boolean }

export type ServerMessage =
  | { type: 'ready', url: string, ids: Seeded | undefined, note?: string }
  | { type: 'usage', cpu: number, heapUsed: number, rss: number }

/** One bounded load run. `post` makes each request a create_message with a unique object_id. */
export interface LoadSpec {
  url: string
  path: string
  seconds: number
  connections: number
  post?: { conversationId: string, prefix: string }
  /** Each request a `method` with this same JSON body (e.g. update_conversation). */
  send?: { method: 'PUT' | 'POST', body: unknown }
}

/** 10,000 conversations x 20 messages through the API (create_user, create_conversation, 19 create_message). */
export interface FillSpec {
  url: string
  conversations: number
  messages: number
  concurrency: number
}

export type LoadRequest = { id: number } & ({ type: 'run', spec: LoadSpec } | { type: 'fill', spec: FillSpec })

export interface LoadResult { requests: number, seconds: number, p50: number, p99: number, failures: number }

export type LoadReply = { id: number, result: LoadResult } | { id: number, error: string }
