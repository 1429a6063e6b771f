// Every PostgreSQL wait has a deadline. Each connection confio opens belongs to a kind, and each
// kind gets three session settings, sent in the connection's startup message (pg's
// statement_timeout, lock_timeout and idle_in_transaction_session_timeout options), so they hold
// from the first statement on and cost no round trip:
//
//   statement_timeout                     the longest one statement may run, lock waits included;
//   lock_timeout                          the longest one statement may wait for a lock (a row
//                                         another session has locked, a table an ALTER holds);
//   idle_in_transaction_session_timeout   the longest a session may sit in an open transaction
//                                         without running anything; PostgreSQL then ends it.
//
// The PG_STATEMENT_TIMEOUT, PG_LOCK_TIMEOUT and PG_IDLE_IN_TRANSACTION_TIMEOUT settings replace a
// kind's default for the process that reads them; the lease's are fixed (see LEASE below).

export const CONNECTION_KINDS = ['poller', 'worker', 'command', 'migration', 'lease', 'api'] as const
export type ConnectionKind = (typeof CONNECTION_KINDS)[number]

export interface SessionTimeouts {
  readonly statementTimeoutMs: number
  readonly lockTimeoutMs: number
  readonly idleInTransactionTimeoutMs: number
}

/** What the PG_* settings say; a field left out keeps the kind's default. */
export type SessionTimeoutOverrides = Partial<SessionTimeouts>

// confio never waits on anything outside PostgreSQL (the chain, Redis, a person) with a
// transaction open, and its transactions last milliseconds. A session idle in a transaction for a
// minute is a paused or stuck process whose locks hold back every other one: ending it frees them.
const IDLE_IN_TRANSACTION_MS = 60_000

export const SESSION_DEFAULTS: Readonly<Record<ConnectionKind, SessionTimeouts>> = {
  // `confio poll`: a commit inserts a batch's relevant rows (milliseconds) and the outbox sweep scans
  // the unqueued ones (seconds on a large table). 60 s is far past either, so only a statement that
  // hangs hits it; the poller then stops (exit 1) and restarts with the batch unstored. 10 s of
  // waiting for a lock (a worker holding a raw event) is far longer than any transaction confio
  // runs, and above the lease's own statement timeout, which bounds the fence's wait on the lease row.
  poller: {statementTimeoutMs: 60_000, lockTimeoutMs: 10_000, idleInTransactionTimeoutMs: IDLE_IN_TRANSACTION_MS},
  // `confio worker`: a batch's two statements take milliseconds; 30 s is a statement that will not
  // finish. The lock timeout is the rule that matters: a row locked by another session holds back
  // one batch for at most 5 s, after which the batch is redone job by job and only the job whose
  // row is locked fails (with a retry). Rows are locked by other batches for milliseconds, so 5 s
  // is never reached by the normal turn-taking between two runs of a digest.
  worker: {statementTimeoutMs: 30_000, lockTimeoutMs: 5_000, idleInTransactionTimeoutMs: IDLE_IN_TRANSACTION_MS},
  // Every other command (reconcile, status, accounts, beat, test-balance) and services that import
  // confio: reconcile and status read large tables, accounts import writes thousands of rows in
  // one statement. 5 min bounds them without cutting a slow but healthy one short; 30 s of waiting
  // for a lock is someone else's long transaction, better reported than waited on.
  command: {statementTimeoutMs: 300_000, lockTimeoutMs: 30_000, idleInTransactionTimeoutMs: IDLE_IN_TRANSACTION_MS},
  // `confio migrate`: building an index or backfilling a column of a table that holds months of
  // transactions can take many minutes: one hour. The lock timeout is short on purpose: an ALTER
  // TABLE waiting for its lock makes every later statement on that table (the worker's, the
  // poller's) queue behind it, so it gives up after 10 s (that migration is rolled back; run
  // `confio migrate` again when the table is quieter) instead of stalling the pipeline.
  migration: {statementTimeoutMs: 3_600_000, lockTimeoutMs: 10_000, idleInTransactionTimeoutMs: IDLE_IN_TRANSACTION_MS},
  // `confio serve`: each request runs a few indexed statements (an account, a balance row, a page
  // of history) in milliseconds; a client waits on the answer, so a statement past 10 s or a lock
  // held by someone else for 5 s is a 503 the wallet can retry, not a request left hanging.
  api: {statementTimeoutMs: 10_000, lockTimeoutMs: 5_000, idleInTransactionTimeoutMs: IDLE_IN_TRANSACTION_MS},
  // The poller's and the beat's lease connection (lease.ts): one-statement
  // transactions renewed every 3 s with a 10 s expiry, so each statement must answer well within
  // one renewal interval. Fixed: a PG_* setting raised for a long migration must not stretch them.
  lease: {statementTimeoutMs: 2_000, lockTimeoutMs: 2_000, idleInTransactionTimeoutMs: 10_000},
}

/** The session timeouts of a connection of this kind: its defaults, with the PG_* settings over them (never for the lease). */
export function sessionTimeouts(kind: ConnectionKind, overrides: SessionTimeoutOverrides = {}): SessionTimeouts {
  const defaults = SESSION_DEFAULTS[kind]
  if (kind === 'lease') return defaults
  return {
    statementTimeoutMs: overrides.statementTimeoutMs ?? defaults.statementTimeoutMs,
    lockTimeoutMs: overrides.lockTimeoutMs ?? defaults.lockTimeoutMs,
    idleInTransactionTimeoutMs: overrides.idleInTransactionTimeoutMs ?? defaults.idleInTransactionTimeoutMs,
  }
}

/** pg's connection options (pg.Client, knex's `connection`) that set them at startup. */
export function pgSessionOptions(timeouts: SessionTimeouts): {statement_timeout: number; lock_timeout: number; idle_in_transaction_session_timeout: number} {
  return {
    statement_timeout: timeouts.statementTimeoutMs,
    lock_timeout: timeouts.lockTimeoutMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
  }
}

/** The setting behind each way PostgreSQL ends a statement or a session for taking too long. */
export type SessionTimeoutSetting = 'PG_STATEMENT_TIMEOUT' | 'PG_LOCK_TIMEOUT' | 'PG_IDLE_IN_TRANSACTION_TIMEOUT'

/**
 * Which of the three a PostgreSQL error is, if any. 57014 (query_canceled) is also a cancel by
 * request (pg_cancel_backend), and 55P03 (lock_not_available) also NOWAIT: the message tells.
 */
export function sessionTimeoutOf(error: unknown): SessionTimeoutSetting | undefined {
  const {code, message} = (error ?? {}) as {code?: unknown; message?: unknown}
  const text = typeof message === 'string' ? message : ''
  if (code === '57014' && /statement timeout/.test(text)) return 'PG_STATEMENT_TIMEOUT'
  if (code === '55P03' && /lock timeout/.test(text)) return 'PG_LOCK_TIMEOUT'
  if (code === '25P03') return 'PG_IDLE_IN_TRANSACTION_TIMEOUT'
  return undefined
}
