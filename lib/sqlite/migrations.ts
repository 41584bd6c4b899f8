import type { Database } from 'better-sqlite3'

/**
 * Versioned schema changes, applied in order inside one transaction each; the version reached is kept in
 * `{prefix}migrations`. Never edit a released migration: add the next one.
 */
export function storageMigrations (p: string): string[] {
  return [
    `
    CREATE TABLE ${p}users (
      id TEXT PRIMARY KEY,
      object_id TEXT UNIQUE,
      name TEXT,
      email TEXT,
      photo_url TEXT,
      attributes TEXT
    );
    CREATE TABLE ${p}agents (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      email TEXT NOT NULL,
      photo_url TEXT,
      alias TEXT
    );
    CREATE TABLE ${p}conversations (
      id TEXT PRIMARY KEY,
      object_id TEXT UNIQUE,
      user_id TEXT NOT NULL REFERENCES ${p}users (id),
      status TEXT NOT NULL,
      title TEXT,
      tags TEXT NOT NULL,
      attributes TEXT NOT NULL,
      assignee_id TEXT,
      last_user_read_at TEXT,
      initial_message_id TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    -- seq is the creation order; (conversation_id, seq) makes get_messages and after_id index seeks.
    CREATE TABLE ${p}messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      object_id TEXT UNIQUE,
      conversation_id TEXT NOT NULL REFERENCES ${p}conversations (id),
      body TEXT NOT NULL,
      author TEXT NOT NULL,
      visibility TEXT NOT NULL,
      attachments TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX ${p}messages_by_conversation ON ${p}messages (conversation_id, seq);
    CREATE INDEX ${p}conversations_by_update ON ${p}conversations (updated_at);
    `
  ]
}

/** The notify outbox's tables: one row per conversation with a pending, in-flight or failed sync. */
export function outboxMigrations (p: string): string[] {
  return [
    `
    CREATE TABLE ${p}outbox (
      conversation_id TEXT PRIMARY KEY,
      state TEXT NOT NULL,
      due_at INTEGER NOT NULL,
      first_at INTEGER NOT NULL,
      attempt INTEGER NOT NULL DEFAULT 0,
      dirty INTEGER NOT NULL DEFAULT 0,
      lease_until INTEGER,
      last_status INTEGER,
      last_error TEXT,
      updated_at INTEGER NOT NULL,
      -- The traceparent of the span that asked for the sync: delivery spans link to it, across restarts.
      trace_context TEXT
    );
    CREATE INDEX ${p}outbox_due ON ${p}outbox (state, due_at);
    `
  ]
}

/**
 * Brings the database to the latest version of `steps`, recorded in `versionTable`; safe to run on every start,
 * from several processes.
 */
export function migrate (db: Database, versionTable: string, steps: string[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS ${versionTable} (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`)
  const apply = db.transaction(() => {
    const row = db.prepare(`SELECT MAX(version) AS version FROM ${versionTable}`).get() as { version: number | null }
    let version = row.version ?? 0
    for (; version < steps.length; version++) {
      db.exec(steps[version]!)
      db.prepare(`INSERT INTO ${versionTable} (version, applied_at) VALUES (?, ?)`).run(version + 1, new Date().toISOString())
    }
    return version
  })
  return apply.immediate()
}
