import type { Pool, PoolClient } from 'pg'

/**
 * Two migration tracks, so each component creates only its own tables: the storage's (versions in `migrations`)
 * and the outbox's (versions in `outbox_migrations`). Each step is applied once, in order, under an advisory lock
 * (several instances may start at once). Never edit a released step: add the next one.
 */
export function storageMigrations (s: string): string[] {
  return [
    `
    CREATE TABLE ${s}.users (
      id text PRIMARY KEY,
      object_id text UNIQUE,
      name text,
      email text,
      photo_url text,
      attributes jsonb
    );
    CREATE TABLE ${s}.agents (
      id text PRIMARY KEY,
      seq bigserial,
      name text NOT NULL,
      email text NOT NULL,
      photo_url text,
      alias text
    );
    CREATE TABLE ${s}.conversations (
      id text PRIMARY KEY,
      seq bigserial,
      object_id text UNIQUE,
      user_id text NOT NULL REFERENCES ${s}.users (id),
      status text NOT NULL,
      title text,
      tags jsonb NOT NULL,
      attributes jsonb NOT NULL,
      assignee_id text,
      last_user_read_at text,
      initial_message_id text,
      created_at text NOT NULL,
      updated_at text NOT NULL
    );
    CREATE INDEX conversations_by_update ON ${s}.conversations (updated_at DESC, seq DESC);
    -- seq is the creation order; (conversation_id, seq) makes get_messages and after_id index seeks.
    CREATE TABLE ${s}.messages (
      seq bigserial PRIMARY KEY,
      id text NOT NULL UNIQUE,
      object_id text UNIQUE,
      conversation_id text NOT NULL REFERENCES ${s}.conversations (id),
      body text NOT NULL,
      author jsonb NOT NULL,
      visibility text NOT NULL,
      attachments jsonb NOT NULL,
      created_at text NOT NULL
    );
    CREATE INDEX messages_by_conversation ON ${s}.messages (conversation_id, seq);
    `
  ]
}

/** The notify outbox's track. */
export function outboxMigrations (s: string): string[] {
  return [
    `
    CREATE TABLE ${s}.outbox (
      conversation_id text PRIMARY KEY,
      state text NOT NULL,
      due_at bigint NOT NULL,
      first_at bigint NOT NULL,
      attempt integer NOT NULL DEFAULT 0,
      dirty boolean NOT NULL DEFAULT false,
      lease_until bigint,
      last_status integer,
      last_error text,
      updated_at bigint NOT NULL,
      -- The traceparent of the span that asked for the sync, so delivery spans link to it across instances.
      trace_context text
    );
    CREATE INDEX outbox_due ON ${s}.outbox (state, due_at);
    `
  ]
}

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** Runs `fn` in one transaction on a client of the pool: committed when it resolves, rolled back when it throws. */
export async function transaction<T> (pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  // A client whose ROLLBACK failed is in an unknown state (broken connection, or still inside the transaction):
  // release(err) destroys it instead of handing it to the next caller.
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    // pg rejects a query with an Error (a DatabaseError, or the connection's own Error), never anything else.
    await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError })
    throw err
  } finally {
    client.release(broken)
  }
}

export interface MigrationTrack {
  /** The table (in the schema) that records the versions applied. */
  versionTable: string
  steps: (quotedSchema: string) => string[]
}

export const STORAGE_TRACK: MigrationTrack = { versionTable: 'migrations', steps: storageMigrations }
export const OUTBOX_TRACK: MigrationTrack = { versionTable: 'outbox_migrations', steps: outboxMigrations }

/** Creates the schema and brings one track to its latest version; safe from several instances at once. */
export function migratePostgres (pool: Pool, schema: string, track: MigrationTrack): Promise<void> {
  const s = `"${schema}"`
  const steps = track.steps(s)
  const versions = `${s}.${track.versionTable}`
  return transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`fastify-fin-helpdesk:${schema}`])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${versions} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
    const { rows } = await client.query<{ version: number | null }>(`SELECT MAX(version) AS version FROM ${versions}`)
    for (let version = rows[0]?.version ?? 0; version < steps.length; version++) {
      await client.query(steps[version]!)
      await client.query(`INSERT INTO ${versions} (version) VALUES ($1)`, [version + 1])
    }
  })
}
