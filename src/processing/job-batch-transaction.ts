// The worker's database work for a batch of jobs, in two round trips on one connection. A job's
// cost is dominated by round trips and by the CPU each statement takes on a small machine, so the
// jobs that arrive together share both (group commit), and the statements are sent as PostgreSQL
// simple-protocol messages holding several statements each, with every value inlined as an
// escaped literal (pg's escapeLiteral):
//
//   1. start:  each log row -> `processing`, claimed by this run (attempts + 1, a stall counted
//              if it was still `processing`; in a batch, a job a stopped worker left `processing`
//              or that stalled before is not claimed: it runs alone); COMMIT (so a worker that
//              dies later leaves that trace; asynchronous, see start()); BEGIN; read and lock the
//              claimed raw events and their log rows FOR UPDATE, in digest order; read the active
//              accounts they name (by index, one lookup for the whole batch: handlers only ever
//              look addresses up, so one map serves every job). A job past the stall limit does
//              not take the lock (a poison transaction may be holding up whoever takes it).
//   2. finish: the release lock of each job's digest (pending-release-lock.ts); every effect of
//              every job in one statement of data-modifying CTEs (history rows, contract events,
//              balance changes, released pending amounts, the cache outbox, processed_at, the
//              log's `completed`); COMMIT.
//
// No wait is open-ended: the worker's connections have a lock timeout (src/store/session-settings.ts),
// so a row another session keeps locked fails the statement waiting for it after that long. A
// start that fails that way has committed its `processing` marks or not; BatchStartError says
// which, so the batch can be redone job by job, each attempt counted once.
//
// Balances (the README's "Balances" section): a row with a
// base that is not stale adds each change of a transaction after its base's window, exactly once
// (the job's own first run is the only one that writes effects), and skips those before it (the
// chain value already has them); a change inside the window (the chain value may or may not hold
// it: src/chain/reader/height-window.ts), a row without a base, or a stale one, marks the row stale.
// Either way seen_checkpoint records the transaction, so a chain value whose window reaches it can
// never be written over the change (postgres-balance-store.ts). Every changed row gets a new version and an outbox
// row, in this same transaction: Redis is told after the commit by the relay, never by the job.
//
// Two runs of one digest take turns on the row lock; the second finds processed_at set. Unique
// constraints with ON CONFLICT DO NOTHING keep even a run that bypassed that check from adding
// rows. Rows are locked in one order everywhere (raw events and log rows by digest, then balances
// by account and token), so two batches sharing a digest or a balance wait for each other instead
// of deadlocking; and a second delivery's start waits on the log row until the first run is over,
// so it never mistakes a run in progress for a stalled one.
import type pg from 'pg'
import {type BalanceKey, balanceKeyId} from '../balances/balance-keys.ts'
import {pendingReleaseLock} from '../balances/pending-release-lock.ts'
import type {Database} from '../store/database.ts'
import {fromRawEventRow, type KnownAccounts, type ProcessableTransaction, type RawEventRow} from './processable-transaction.ts'
import type {AttemptStart} from './processing-log.ts'
import {namedAddresses} from './raw-event-addresses.ts'
import type {TransactionEffects} from './transaction-effects.ts'

export interface LoadedTransaction {
  readonly tx: ProcessableTransaction
  readonly accounts: KnownAccounts
}

export interface JobStart {
  readonly attempt: AttemptStart
  /** undefined when there is no raw event, or when the stall limit was reached (not read). */
  readonly loaded: LoadedTransaction | undefined
}

export interface StartOptions {
  readonly stallLimit: number
  /**
   * false when these jobs were already started in this run (a job being redone alone): their log
   * rows already say `processing` with this run counted.
   */
  readonly countAttempt: boolean
  /** This run's name, kept in the log's claimed_by: `<host>:<pid>:<run>`. */
  readonly claim: string
}

export interface BatchStart {
  /** The jobs this run claimed, with their raw events. */
  readonly started: Map<string, JobStart>
  /**
   * Jobs of a batch of more than one that must run alone instead: those a stopped worker left
   * `processing` or that stalled before (not claimed: a poison transaction that kills its worker
   * must not take a batch of others down with it each time, and their stall counts with them), and
   * claimed ones whose raw event was not read (none, or another run claimed it meanwhile).
   */
  readonly alone: {readonly digest: string; readonly counted: boolean}[]
}

/** One job's part of finish(). */
export interface JobWrite {
  readonly tx: ProcessableTransaction
  readonly effects: TransactionEffects
  readonly handler: string
  /** Its effects were committed by an earlier run: only the log is brought up to date. */
  readonly alreadyProcessed: boolean
}

export interface WriteResult {
  readonly accountTransactions: number
  readonly contractEvents: number
  /** Balances changed: the effects' balance changes plus any whose pending amount was released. */
  readonly touched: BalanceKey[]
}

type Connection = pg.Client

/**
 * start() failed (most often: a row it had to lock stayed locked past the lock timeout). `cause`
 * is the error; `claimed` the jobs whose `processing` mark this start committed before it failed
 * (their attempt is counted), `attempts` each job's attempts as its log row says while `processing`.
 */
export class BatchStartError extends Error {
  override readonly name = 'BatchStartError'
  readonly claimed: ReadonlySet<string>
  readonly attempts: ReadonlyMap<string, number>

  constructor(cause: unknown, claimed: ReadonlySet<string>, attempts: ReadonlyMap<string, number>) {
    super(cause instanceof Error ? cause.message : String(cause), {cause})
    this.claimed = claimed
    this.attempts = attempts
  }
}

/** One batch's connection and open transaction; always end it with finish(), commit() or rollback(). */
export class JobBatchTransaction {
  private readonly db: Database
  private readonly connection: Connection
  private open = false
  private released = false

  private constructor(db: Database, connection: Connection) {
    this.db = db
    this.connection = connection
  }

  static async acquire(db: Database): Promise<JobBatchTransaction> {
    return new JobBatchTransaction(db, (await db.client.acquireConnection()) as Connection)
  }

  /** Marks the runs started (committed), then opens the batch's transaction and reads the raw events. */
  async start(digests: readonly string[], options: StartOptions): Promise<BatchStart> {
    const list = this.textArray([...digests].sort())
    const batch = digests.length > 1
    const claim = this.connection.escapeLiteral(options.claim)
    this.open = true
    // The `processing` marks are committed without waiting for their WAL flush (they are
    // bookkeeping): the batch's own commit, later in the same WAL, flushes them too, and a
    // PostgreSQL crash in between loses only attempt counts, never an effect.
    const results = await this.startQuery(list, options.claim, `
      BEGIN;
      SET LOCAL synchronous_commit TO off;
      ${options.countAttempt ? countAttempts(list, claim, batch) : readAttempts(list)};
      COMMIT;
      BEGIN;
      SELECT e.tx_digest, e.checkpoint, e.timestamp_ms, e.sender, e.success, e.execution_error, e.move_calls, e.events,
             e.balance_changes, e.gas_used, e.gas_owner, e.parse_error, e.processed_at
      FROM raw_blockchain_events e JOIN transaction_processing_log l USING (tx_digest)
      WHERE e.tx_digest = ANY(${list}) AND l.stalls < ${integer(options.stallLimit)} ${batch ? `AND l.claimed_by = ${claim}` : ''}
      ORDER BY e.tx_digest
      FOR UPDATE;
      SELECT a.id::text AS id, a.sui_address
      FROM accounts a
      WHERE a.deleted_at IS NULL AND a.sui_address = ANY(ARRAY(
        SELECT named.address FROM raw_blockchain_events e, LATERAL (${namedAddresses('e')}) AS named(address)
        WHERE e.tx_digest = ANY(${list})
      ));`)
    const attempts = new Map((results[2]!.rows as {tx_digest: string; attempts: number; stalls: number}[]).map((r) => [r.tx_digest, r]))
    const accounts: KnownAccounts = new Map((results[6]!.rows as {id: string; sui_address: string}[]).map((a) => [a.sui_address, a.id]))
    const loaded = new Map((results[5]!.rows as RawEventRow[]).map((row) => [row.tx_digest, {tx: fromRawEventRow(row), accounts}]))
    const started = new Map<string, JobStart>()
    const alone: BatchStart['alone'] = []
    for (const digest of digests) {
      const attempt = attempts.get(digest)
      const tx = loaded.get(digest)
      if (!attempt) {
        if (!batch) throw new Error(`transaction_processing_log has no row for ${digest} after its start was recorded`)
        alone.push({digest, counted: false})
      } else if (batch && !tx && attempt.stalls < options.stallLimit) {
        alone.push({digest, counted: true})
      } else {
        started.set(digest, {attempt: {attempts: attempt.attempts, stalls: attempt.stalls}, loaded: tx})
      }
    }
    return {started, alone}
  }

  /** start()'s round trip; on failure, rolls back and throws BatchStartError (see there). */
  private async startQuery(list: string, claim: string, text: string): Promise<pg.QueryResult[]> {
    try {
      return await this.query(text)
    } catch (error) {
      this.open = false
      let rows: {tx_digest: string; attempts: number; claimed_by: string | null}[]
      try {
        // ROLLBACK outside a transaction only warns: the error may have come before or after the COMMIT.
        const readBack = await this.query(`ROLLBACK; SELECT tx_digest, attempts, claimed_by FROM transaction_processing_log WHERE tx_digest = ANY(${list}) AND status = 'processing'`)
        rows = readBack[1]!.rows as typeof rows
      } catch {
        // The connection itself failed: what was committed is unknown.
        throw error
      }
      throw new BatchStartError(error, new Set(rows.filter((r) => r.claimed_by === claim).map((r) => r.tx_digest)), new Map(rows.map((r) => [r.tx_digest, r.attempts])))
    }
  }

  /** Writes every job's effects, processed_at and the log's `completed`, and commits. */
  async finish(jobs: readonly JobWrite[]): Promise<Map<string, WriteResult>> {
    const fresh = jobs.filter((j) => !j.alreadyProcessed)
    const history = fresh.flatMap(({tx, effects}) =>
      effects.accountTransactions.map((r) => ({
        ...placeOf(tx),
        account_id: r.accountId,
        token: r.token,
        direction: r.direction,
        amount: r.amount.toString(),
        counterparty: r.counterparty,
      })),
    )
    const events = fresh.flatMap(({tx, effects}) =>
      effects.contractEvents.map((e) => ({
        ...placeOf(tx),
        event_seq: e.eventSeq,
        package: e.package,
        module: e.module,
        event_name: e.eventName,
        event_type: e.eventType,
        fields: e.fields,
        typed: e.typed,
        parse_error: e.parseError,
        account_ids: e.accountIds,
        sender: e.sender,
      })),
    )
    const changes = fresh.flatMap(({tx, effects}) =>
      effects.balanceChanges.map((c) => ({account_id: c.accountId, token: c.token, amount: c.amount.toString(), checkpoint: tx.checkpoint.toString()})),
    )
    const freshDigests = this.textArray(fresh.map((j) => j.tx.digest))
    const handlers = jobs.map((j) => ({tx_digest: j.tx.digest, handler: j.handler}))
    // The row's base holds every change before its window and none after it (height-window.ts);
    // delta: the changes after the window; ambiguous: a change inside it, which the amount may or
    // may not hold; exact: whether the row can take the changes and stay >= 0. A row written before
    // windows existed (no window) holds exactly the changes up to its base.
    const windowTo = `coalesce(b.base_window_to, b.base_checkpoint)`
    const windowFrom = `coalesce(b.base_window_from, b.base_checkpoint + 1)`
    const ofRow = `c.account_id = b.account_id AND c.token = b.token`
    const delta = `coalesce((SELECT sum(c.amount) FROM changes c WHERE ${ofRow} AND c.checkpoint > ${windowTo}), 0)`
    const ambiguous = `EXISTS (SELECT 1 FROM changes c WHERE ${ofRow} AND c.checkpoint BETWEEN ${windowFrom} AND ${windowTo})`
    const exact = `(NOT b.is_stale AND b.base_checkpoint IS NOT NULL AND NOT ${ambiguous} AND b.amount + ${delta} >= 0)`
    const released = `coalesce((SELECT r.amount FROM release r WHERE r.account_id = b.account_id AND r.token = b.token), 0)`
    const results = await this.query(`
      SELECT ${pendingReleaseLock('d')} FROM (SELECT d FROM unnest(${freshDigests}) AS d ORDER BY d) AS digests;
      WITH
      history AS (
        INSERT INTO account_transactions (account_id, tx_digest, token, direction, amount, counterparty, checkpoint, timestamp_ms)
        SELECT x.account_id, x.tx_digest, x.token, x.direction, x.amount, x.counterparty, x.checkpoint, x.timestamp_ms
        FROM jsonb_to_recordset(${this.json(history)})
          AS x(tx_digest text, account_id bigint, token text, direction text, amount numeric, counterparty text, checkpoint bigint, timestamp_ms bigint)
        ON CONFLICT (tx_digest, account_id, token, direction) DO NOTHING
        RETURNING tx_digest
      ),
      events AS (
        INSERT INTO contract_events (tx_digest, event_seq, package, module, event_name, event_type, fields, typed, parse_error, account_ids, sender, checkpoint, timestamp_ms)
        SELECT x.tx_digest, x.event_seq, x.package, x.module, x.event_name, x.event_type, x.fields, x.typed, x.parse_error, x.account_ids, x.sender, x.checkpoint, x.timestamp_ms
        FROM jsonb_to_recordset(${this.json(events)})
          AS x(tx_digest text, event_seq integer, package text, module text, event_name text, event_type text, fields jsonb, typed boolean,
               parse_error text, account_ids bigint[], sender text, checkpoint bigint, timestamp_ms bigint)
        ON CONFLICT (tx_digest, event_seq) DO NOTHING
        RETURNING tx_digest
      ),
      released AS (
        DELETE FROM pending_balance_changes WHERE tx_digest = ANY(${freshDigests}) RETURNING tx_digest, account_id, token, amount
      ),
      release AS (
        SELECT account_id, token, sum(amount) AS amount FROM released GROUP BY account_id, token
      ),
      changes AS (
        SELECT * FROM jsonb_to_recordset(${this.json(changes)}) AS x(account_id bigint, token text, amount numeric, checkpoint bigint)
      ),
      touched AS (
        SELECT k.account_id, k.token, (SELECT max(c.checkpoint) FROM changes c WHERE c.account_id = k.account_id AND c.token = k.token) AS seen
        FROM (SELECT account_id, token FROM changes UNION SELECT account_id, token FROM release) k
      ),
      balance AS (
        INSERT INTO balances AS b (account_id, token, is_stale, seen_checkpoint)
        SELECT account_id, token, true, seen FROM touched ORDER BY account_id, token
        ON CONFLICT (account_id, token) DO UPDATE SET
          amount = CASE WHEN ${exact} THEN b.amount + ${delta} ELSE b.amount END,
          is_stale = NOT ${exact},
          seen_checkpoint = GREATEST(b.seen_checkpoint, EXCLUDED.seen_checkpoint),
          pending_amount = GREATEST(b.pending_amount - ${released}, 0),
          -- A stale row only learns of a later transaction (seen_checkpoint): nothing a reader
          -- sees changes, so no new version and no cache traffic.
          version = b.version + CASE WHEN NOT b.is_stale OR ${released} > 0 THEN 1 ELSE 0 END
        -- A stale row with nothing to release and no later transaction stays as it is (still
        -- locked): no new row version, no index entries.
        WHERE NOT b.is_stale OR ${released} > 0 OR EXCLUDED.seen_checkpoint > coalesce(b.seen_checkpoint, -1)
        -- The statement's snapshot still holds the old version: a row whose version moved (or a new
        -- row) is one Redis must be told about.
        RETURNING b.account_id, b.token, b.version IS DISTINCT FROM (SELECT o.version FROM balances o WHERE o.account_id = b.account_id AND o.token = b.token) AS changed
      ),
      outbox AS (
        INSERT INTO balance_cache_outbox (account_id, token) SELECT account_id, token FROM balance WHERE changed ORDER BY account_id, token
      ),
      processed AS (
        UPDATE raw_blockchain_events SET processed_at = now() WHERE tx_digest = ANY(${freshDigests})
      ),
      logged AS (
        UPDATE transaction_processing_log l SET status = 'completed', handler = x.handler, error_message = NULL, finished_at = now(), updated_at = now()
        FROM jsonb_to_recordset(${this.json(handlers)}) AS x(tx_digest text, handler text)
        -- ANY(...) makes it an index lookup: the log holds every transaction ever processed.
        WHERE l.tx_digest = ANY(${this.textArray(jobs.map((j) => j.tx.digest))}) AND l.tx_digest = x.tx_digest
      )
      -- The CTEs not read below (outbox, processed, logged) run all the same: PostgreSQL executes
      -- every data-modifying CTE to completion whether or not the query reads it.
      SELECT (SELECT coalesce(json_object_agg(tx_digest, n), '{}') FROM (SELECT tx_digest, count(*) AS n FROM history GROUP BY tx_digest) h) AS history,
             (SELECT coalesce(json_object_agg(tx_digest, n), '{}') FROM (SELECT tx_digest, count(*) AS n FROM events GROUP BY tx_digest) e) AS events,
             (SELECT coalesce(json_agg(json_build_array(tx_digest, account_id::text, token)), '[]') FROM released) AS released;
      COMMIT;`)
    this.open = false
    // The statement's result, by its columns: the release locks' comes before it.
    const row = results.find((r) => r.fields.some((f) => f.name === 'released'))!.rows[0] as {history: Record<string, string>; events: Record<string, string>; released: [string, string, string][]}
    const written = new Map<string, WriteResult>()
    for (const {tx, effects, alreadyProcessed} of jobs) {
      const release = alreadyProcessed ? [] : row.released.filter(([digest]) => digest === tx.digest).map(([, accountId, token]) => ({accountId, token}))
      written.set(tx.digest, {
        accountTransactions: Number(row.history[tx.digest] ?? 0),
        contractEvents: Number(row.events[tx.digest] ?? 0),
        touched: uniqueKeys([...effects.balanceChanges, ...release]),
      })
    }
    return written
  }

  async commit(): Promise<void> {
    if (!this.open) return
    await this.query('COMMIT')
    this.open = false
  }

  /** Ends the transaction if one is open; never throws (the connection is discarded if it is broken). */
  async rollback(): Promise<void> {
    if (!this.open) return
    this.open = false
    await this.query('ROLLBACK').catch(() => undefined)
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    await this.rollback()
    await this.db.client.releaseConnection(this.connection)
  }

  private json(value: unknown): string {
    return `${this.connection.escapeLiteral(JSON.stringify(value))}::jsonb`
  }

  private textArray(values: readonly string[]): string {
    return `ARRAY[${values.map((v) => this.connection.escapeLiteral(v)).join(',')}]::text[]`
  }

  /** A simple-protocol message; its result is one entry per statement. */
  private async query(text: string): Promise<pg.QueryResult[]> {
    const result = (await this.connection.query(text)) as pg.QueryResult | pg.QueryResult[]
    return Array.isArray(result) ? result : [result]
  }
}

/**
 * A new run of each digest: the log row is created or moved to `processing` and claimed, in digest
 * order. In a batch, a row a stopped worker left `processing`, or one that stalled before, is left
 * as it is (the job will run alone).
 */
function countAttempts(sortedList: string, claim: string, batch: boolean): string {
  return `
      INSERT INTO transaction_processing_log AS l (tx_digest, status, attempts, started_at, updated_at, claimed_by)
      SELECT d, 'processing', 1, now(), now(), ${claim} FROM unnest(${sortedList}) AS d ORDER BY d
      ON CONFLICT (tx_digest) DO UPDATE SET
        status = 'processing',
        attempts = l.attempts + 1,
        stalls = l.stalls + (l.status = 'processing')::int,
        started_at = now(), finished_at = NULL, updated_at = now(), claimed_by = EXCLUDED.claimed_by
      ${batch ? `WHERE l.status <> 'processing' AND l.stalls = 0` : ''}
      RETURNING tx_digest, attempts, stalls`
}

/** The same run again: the counts as they stand. */
function readAttempts(sortedList: string): string {
  return `SELECT tx_digest, attempts, stalls FROM transaction_processing_log WHERE tx_digest = ANY(${sortedList})`
}

/** The columns every row a transaction produces carries: where it is on the chain. */
function placeOf(tx: ProcessableTransaction) {
  return {tx_digest: tx.digest, checkpoint: tx.checkpoint.toString(), timestamp_ms: tx.timestampMs?.toString() ?? null}
}

function uniqueKeys(keys: readonly BalanceKey[]): BalanceKey[] {
  const seen = new Map<string, BalanceKey>()
  for (const {accountId, token} of keys) seen.set(balanceKeyId({accountId, token}), {accountId, token})
  return [...seen.values()]
}

function integer(value: number | bigint): string {
  const text = value.toString()
  if (!/^-?\d+$/.test(text)) throw new TypeError(`not an integer: ${text}`)
  return text
}
