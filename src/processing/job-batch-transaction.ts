// The worker's database work for a batch of jobs, in two round trips on one connection. A job's
// cost is dominated by round trips and by the CPU each statement takes on a small machine, so the
// jobs that arrive together share both (group commit), and the statements are sent as PostgreSQL
// simple-protocol messages holding several statements each (src/store/statement-message.ts), with
// every value inlined as an escaped literal (pg's escapeLiteral):
//
//   1. start:  each log row -> `processing`, claimed by this run (attempts + 1, a stall counted
//              if it was still `processing`; in a batch, a job a stopped worker left `processing`
//              or that stalled before is not claimed: it runs alone; a job redone alone after its
//              batch failed has its counts read as they stand); COMMIT (so a worker that dies later
//              leaves that trace; asynchronous, see startMessage()); BEGIN; read and lock the
//              claimed raw events and their log rows FOR UPDATE, in digest order; read the active
//              accounts they name (by index, one lookup for the whole batch: handlers only ever
//              look addresses up, so one map serves every job). A job past the stall limit does
//              not take the lock (a poison transaction may be holding up whoever takes it).
//   2. finish: the release lock of each digest whose effects it writes
//              (src/balances/pending-release-lock.ts); every effect of every job in one statement
//              of data-modifying CTEs (history rows, contract events, balance changes, released
//              pending amounts, the cache outbox, the webhook outbox when WEBHOOK_URL is set
//              (src/webhooks/webhook-events.ts: an event per history row inserted), processed_at,
//              the log's `completed`); COMMIT.
//
// No wait is open-ended: the worker's connections have a lock timeout (src/store/session-settings.ts),
// so a row another session keeps locked fails the statement waiting for it after that long. A
// start that fails that way has committed its `processing` marks or not; BatchStartError says
// which, so the batch can be redone job by job, each attempt counted once.
//
// Balances (docs/balances.md): a row with a base that is not stale adds each change
// of a transaction after its base's window, exactly once (the job's own first run is the only one
// that writes effects), and skips those before it (the chain value already has them); a change
// inside the window (the chain value may or may not hold it: src/chain/reader/height-window.ts), a
// sum that would go below zero, a row without a base, or a stale one, marks the row stale. Either
// way seen_checkpoint records the transaction, so a chain value whose window reaches it can never
// be written over the change (src/balances/postgres-balance-store.ts). Every row a reader would see
// change (a new row, a trusted one, a released pending amount) gets a new version and an outbox
// row, in this same transaction: Redis is told after the commit by the relay
// (src/balances/cache-outbox-relay.ts), never by the job. A stale row that only learns of a later
// transaction gets neither.
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
import {type Statement, type StatementAnswer, StatementMessage} from '../store/statement-message.ts'
import {fromRawEventRow, type KnownAccounts, type ProcessableTransaction, type RawEventRow} from './processable-transaction.ts'
import type {AttemptStart} from './processing-log.ts'
import {namedAddresses} from './raw-event-addresses.ts'
import type {TransactionEffects} from './transaction-effects.ts'
import {transactionEventsInsert} from '../webhooks/webhook-events.ts'

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

/** A log row as start() reads it: the attempts counted and the stalls seen. */
interface AttemptRow {
  readonly tx_digest: string
  readonly attempts: number
  readonly stalls: number
}

/** An active account a batch's transactions name. */
interface AccountRow {
  readonly id: string
  readonly sui_address: string
}

/** start()'s message, and the statements whose rows it reads. */
interface StartMessage {
  readonly message: StatementMessage
  readonly attempts: Statement<AttemptRow>
  readonly rawEvents: Statement<RawEventRow>
  readonly accounts: Statement<AccountRow>
}

/** What finish()'s statement reports: rows inserted per digest, and each pending amount released. */
interface EffectsWritten {
  readonly history: Record<string, string>
  readonly events: Record<string, string>
  /** [digest, account id, token] */
  readonly released: [string, string, string][]
}

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

/** One batch's connection and open transaction; end the transaction with finish(), commit() or rollback(), and always release() it. */
export class JobBatchTransaction {
  private readonly db: Database
  private readonly connection: Connection
  private readonly webhooks: boolean
  private open = false
  private released = false

  private constructor(db: Database, connection: Connection, webhooks: boolean) {
    this.db = db
    this.connection = connection
    this.webhooks = webhooks
  }

  /** `webhooks`: finish() queues a webhook event per history row it inserts. */
  static async acquire(db: Database, options: {webhooks?: boolean} = {}): Promise<JobBatchTransaction> {
    return new JobBatchTransaction(db, (await db.client.acquireConnection()) as Connection, options.webhooks ?? false)
  }

  /** Marks the runs started (committed), then opens the batch's transaction and reads the raw events. */
  async start(digests: readonly string[], options: StartOptions): Promise<BatchStart> {
    const list = this.textArray([...digests].sort())
    const batch = digests.length > 1
    this.open = true
    const start = startMessage(list, this.connection.escapeLiteral(options.claim), batch, options)
    const answer = await this.send(start.message, list, options.claim)
    const accounts: KnownAccounts = new Map(answer.rows(start.accounts).map((a) => [a.sui_address, a.id]))
    const loaded = new Map(answer.rows(start.rawEvents).map((row) => [row.tx_digest, {tx: fromRawEventRow(row), accounts}]))
    return batchStartOf(digests, batch, options.stallLimit, answer.rows(start.attempts), loaded)
  }

  /** start()'s round trip; on failure, rolls back and throws BatchStartError (see there). */
  private async send(message: StatementMessage, list: string, claim: string): Promise<StatementAnswer> {
    try {
      return await message.send(this.connection)
    } catch (error) {
      this.open = false
      throw await this.startFailure(error, list, claim)
    }
  }

  /** A failed start as BatchStartError: the log rows still `processing`, read back; the error itself when even that fails. */
  private async startFailure(error: unknown, list: string, claim: string): Promise<unknown> {
    const readBack = new StatementMessage()
    // ROLLBACK outside a transaction only warns: the error may have come before or after the COMMIT.
    readBack.add('ROLLBACK')
    const processing = readBack.add<{tx_digest: string; attempts: number; claimed_by: string | null}>(
      `SELECT tx_digest, attempts, claimed_by FROM transaction_processing_log WHERE tx_digest = ANY(${list}) AND status = 'processing'`,
    )
    let rows: {tx_digest: string; attempts: number; claimed_by: string | null}[]
    try {
      rows = (await readBack.send(this.connection)).rows(processing)
    } catch {
      // The connection itself failed: what was committed is unknown.
      return error
    }
    return new BatchStartError(error, new Set(rows.filter((r) => r.claimed_by === claim).map((r) => r.tx_digest)), new Map(rows.map((r) => [r.tx_digest, r.attempts])))
  }

  /** Writes every job's effects, processed_at and the log's `completed`, and commits. */
  async finish(jobs: readonly JobWrite[]): Promise<Map<string, WriteResult>> {
    const fresh = jobs.filter((j) => !j.alreadyProcessed)
    const freshDigests = this.textArray(fresh.map((j) => j.tx.digest))
    const message = new StatementMessage()
    message.add(`SELECT ${pendingReleaseLock('d')} FROM (SELECT d FROM unnest(${freshDigests}) AS d ORDER BY d) AS digests`)
    const effects = message.add<EffectsWritten>(
      effectsStatement({
        history: this.json(fresh.flatMap(historyRows)),
        events: this.json(fresh.flatMap(eventRows)),
        changes: this.json(fresh.flatMap(changeRows)),
        handlers: this.json(jobs.map((j) => ({tx_digest: j.tx.digest, handler: j.handler}))),
        freshDigests,
        digests: this.textArray(jobs.map((j) => j.tx.digest)),
        webhooks: this.webhooks,
      }),
    )
    message.add('COMMIT')
    const answer = await message.send(this.connection)
    this.open = false
    return writeResultsOf(jobs, answer.rows(effects)[0]!)
  }

  async commit(): Promise<void> {
    if (!this.open) return
    await this.connection.query('COMMIT')
    this.open = false
  }

  /** Ends the transaction if one is open; never throws (the connection is discarded if it is broken). */
  async rollback(): Promise<void> {
    if (!this.open) return
    this.open = false
    await this.connection.query('ROLLBACK').catch(() => undefined)
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
}

/**
 * start()'s message: the attempts counted (or read) and committed, without waiting for their WAL
 * flush (they are bookkeeping: the batch's own commit, later in the same WAL, flushes them too,
 * and a PostgreSQL crash in between loses only attempt counts, never an effect); then the batch's
 * transaction, its raw events locked and read, and the active accounts they name.
 */
function startMessage(list: string, claim: string, batch: boolean, options: StartOptions): StartMessage {
  const message = new StatementMessage()
  message.add('BEGIN')
  message.add('SET LOCAL synchronous_commit TO off')
  const attempts = message.add<AttemptRow>(options.countAttempt ? countAttempts(list, claim, batch) : readAttempts(list))
  message.add('COMMIT')
  message.add('BEGIN')
  const rawEvents = message.add<RawEventRow>(lockRawEvents(list, options.stallLimit, batch ? claim : undefined))
  const accounts = message.add<AccountRow>(accountsNamed(list))
  return {message, attempts, rawEvents, accounts}
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

/**
 * The raw events of the jobs below the stall limit, locked in digest order; in a batch (`claim`
 * given), only those this run claimed.
 */
function lockRawEvents(sortedList: string, stallLimit: number, claim: string | undefined): string {
  return `
      SELECT e.tx_digest, e.checkpoint, e.timestamp_ms, e.sender, e.success, e.execution_error, e.move_calls, e.events,
             e.balance_changes, e.gas_used, e.gas_owner, e.parse_error, e.processed_at
      FROM raw_blockchain_events e JOIN transaction_processing_log l USING (tx_digest)
      WHERE e.tx_digest = ANY(${sortedList}) AND l.stalls < ${integer(stallLimit)} ${claim === undefined ? '' : `AND l.claimed_by = ${claim}`}
      ORDER BY e.tx_digest
      FOR UPDATE`
}

/** The active accounts the transactions name, by the address index: one lookup for the batch. */
function accountsNamed(sortedList: string): string {
  return `
      SELECT a.id::text AS id, a.sui_address
      FROM accounts a
      WHERE a.deleted_at IS NULL AND a.sui_address = ANY(ARRAY(
        SELECT named.address FROM raw_blockchain_events e, LATERAL (${namedAddresses('e')}) AS named(address)
        WHERE e.tx_digest = ANY(${sortedList})
      ))`
}

/** Each digest started (claimed, with its raw event unless none was read) or set to run alone. */
function batchStartOf(digests: readonly string[], batch: boolean, stallLimit: number, attemptRows: AttemptRow[], loaded: Map<string, LoadedTransaction>): BatchStart {
  const attempts = new Map(attemptRows.map((r) => [r.tx_digest, r]))
  const started = new Map<string, JobStart>()
  const alone: BatchStart['alone'] = []
  for (const digest of digests) {
    const attempt = attempts.get(digest)
    const tx = loaded.get(digest)
    if (!attempt) {
      if (!batch) throw new Error(`transaction_processing_log has no row for ${digest} after its start was recorded`)
      alone.push({digest, counted: false})
    } else if (batch && !tx && attempt.stalls < stallLimit) {
      alone.push({digest, counted: true})
    } else {
      started.set(digest, {attempt: {attempts: attempt.attempts, stalls: attempt.stalls}, loaded: tx})
    }
  }
  return {started, alone}
}

/** The rows account_transactions gets for a job. */
function historyRows({tx, effects}: JobWrite) {
  return effects.accountTransactions.map((r) => ({
    ...placeOf(tx),
    account_id: r.accountId,
    token: r.token,
    direction: r.direction,
    amount: r.amount.toString(),
    counterparty: r.counterparty,
  }))
}

/** The rows contract_events gets for a job. */
function eventRows({tx, effects}: JobWrite) {
  return effects.contractEvents.map((e) => ({
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
  }))
}

/** A job's balance changes, each at the transaction's checkpoint. */
function changeRows({tx, effects}: JobWrite) {
  return effects.balanceChanges.map((c) => ({account_id: c.accountId, token: c.token, amount: c.amount.toString(), checkpoint: tx.checkpoint.toString(), tx_digest: tx.digest}))
}

/** The columns every row a transaction produces carries: where it is on the chain. */
function placeOf(tx: ProcessableTransaction) {
  return {tx_digest: tx.digest, checkpoint: tx.checkpoint.toString(), timestamp_ms: tx.timestampMs?.toString() ?? null}
}

// The balance rules of finish()'s statement, over a balances row `b` and the batch's `changes` and
// `release`. The row's base holds every change before its window and none after it
// (src/chain/reader/height-window.ts); DELTA: the changes after the window; AMBIGUOUS: a change inside it, which the
// amount may or may not hold; EXACT: whether the row can take the changes and stay >= 0. A row
// written before windows existed (no window) holds exactly the changes up to its base.
const WINDOW_TO = `coalesce(b.base_window_to, b.base_checkpoint)`
const WINDOW_FROM = `coalesce(b.base_window_from, b.base_checkpoint + 1)`
const OF_ROW = `c.account_id = b.account_id AND c.token = b.token`
const DELTA = `coalesce((SELECT sum(c.amount) FROM changes c WHERE ${OF_ROW} AND c.checkpoint > ${WINDOW_TO}), 0)`
const AMBIGUOUS = `EXISTS (SELECT 1 FROM changes c WHERE ${OF_ROW} AND c.checkpoint BETWEEN ${WINDOW_FROM} AND ${WINDOW_TO})`
const EXACT = `(NOT b.is_stale AND b.base_checkpoint IS NOT NULL AND NOT ${AMBIGUOUS} AND b.amount + ${DELTA} >= 0)`
/** The pending amount the batch released from the row. */
const RELEASED = `coalesce((SELECT r.amount FROM release r WHERE r.account_id = b.account_id AND r.token = b.token), 0)`

/**
 * The balances the batch touched: each changed one with the highest checkpoint that changed it, and
 * each released one. With `webhooks`, each row also says what its events' balanceAfter needs
 * (src/webhooks/webhook-events.ts): one more index lookup per row, so only then.
 */
const balancesStatement = (webhooks: boolean) => `
      INSERT INTO balances AS b (account_id, token, is_stale, seen_checkpoint)
      SELECT account_id, token, true, seen FROM touched ORDER BY account_id, token
      ON CONFLICT (account_id, token) DO UPDATE SET
        amount = CASE WHEN ${EXACT} THEN b.amount + ${DELTA} ELSE b.amount END,
        is_stale = NOT ${EXACT},
        seen_checkpoint = GREATEST(b.seen_checkpoint, EXCLUDED.seen_checkpoint),
        pending_amount = GREATEST(b.pending_amount - ${RELEASED}, 0),
        -- A stale row only learns of a later transaction (seen_checkpoint): nothing a reader
        -- sees changes, so no new version and no cache traffic.
        version = b.version + CASE WHEN NOT b.is_stale OR ${RELEASED} > 0 THEN 1 ELSE 0 END
      -- A stale row with nothing to release and no later transaction stays as it is (still
      -- locked): no new row version, no index entries.
      WHERE NOT b.is_stale OR ${RELEASED} > 0 OR EXCLUDED.seen_checkpoint > coalesce(b.seen_checkpoint, -1)
      -- The statement's snapshot still holds the old version: a row whose version moved (or a new
      -- row) is one Redis must be told about.
      RETURNING b.account_id, b.token, b.version IS DISTINCT FROM (SELECT o.version FROM balances o WHERE o.account_id = b.account_id AND o.token = b.token) AS changed${
        webhooks
          ? `,
        b.amount, b.is_stale, ${WINDOW_TO} AS counted_after, (SELECT o.seen_checkpoint FROM balances o WHERE o.account_id = b.account_id AND o.token = b.token) AS seen_before`
          : ''
      }`

/** finish()'s values, each an escaped literal: jsonb row sets and text arrays. */
interface EffectsValues {
  readonly history: string
  readonly events: string
  readonly changes: string
  /** Per job, the handlers that took it. */
  readonly handlers: string
  /** The jobs whose effects are written (not processed before). */
  readonly freshDigests: string
  readonly digests: string
  /** Queue a webhook event per history row inserted. */
  readonly webhooks: boolean
}

/** Every effect of every job, in one statement of data-modifying CTEs. */
function effectsStatement(v: EffectsValues): string {
  return `
      WITH
      history AS (
        INSERT INTO account_transactions (account_id, tx_digest, token, direction, amount, counterparty, checkpoint, timestamp_ms)
        SELECT x.account_id, x.tx_digest, x.token, x.direction, x.amount, x.counterparty, x.checkpoint, x.timestamp_ms
        FROM jsonb_to_recordset(${v.history})
          AS x(tx_digest text, account_id bigint, token text, direction text, amount numeric, counterparty text, checkpoint bigint, timestamp_ms bigint)
        ON CONFLICT (tx_digest, account_id, token, direction) DO NOTHING
        RETURNING ${v.webhooks ? 'id, account_id, tx_digest, token, direction, amount, counterparty, checkpoint, timestamp_ms' : 'tx_digest'}
      ),
      events AS (
        INSERT INTO contract_events (tx_digest, event_seq, package, module, event_name, event_type, fields, typed, parse_error, account_ids, sender, checkpoint, timestamp_ms)
        SELECT x.tx_digest, x.event_seq, x.package, x.module, x.event_name, x.event_type, x.fields, x.typed, x.parse_error, x.account_ids, x.sender, x.checkpoint, x.timestamp_ms
        FROM jsonb_to_recordset(${v.events})
          AS x(tx_digest text, event_seq integer, package text, module text, event_name text, event_type text, fields jsonb, typed boolean,
               parse_error text, account_ids bigint[], sender text, checkpoint bigint, timestamp_ms bigint)
        ON CONFLICT (tx_digest, event_seq) DO NOTHING
        RETURNING tx_digest
      ),
      released AS (
        DELETE FROM pending_balance_changes WHERE tx_digest = ANY(${v.freshDigests}) RETURNING tx_digest, account_id, token, amount
      ),
      release AS (
        SELECT account_id, token, sum(amount) AS amount FROM released GROUP BY account_id, token
      ),
      changes AS (
        SELECT * FROM jsonb_to_recordset(${v.changes}) AS x(account_id bigint, token text, amount numeric, checkpoint bigint, tx_digest text)
      ),
      touched AS (
        SELECT k.account_id, k.token, (SELECT max(c.checkpoint) FROM changes c WHERE c.account_id = k.account_id AND c.token = k.token) AS seen
        FROM (SELECT account_id, token FROM changes UNION SELECT account_id, token FROM release) k
      ),
      balance AS (${balancesStatement(v.webhooks)}
      ),
      outbox AS (
        INSERT INTO balance_cache_outbox (account_id, token) SELECT account_id, token FROM balance WHERE changed ORDER BY account_id, token
      ),${
        v.webhooks
          ? `
      webhooks AS (${transactionEventsInsert()}
      ),`
          : ''
      }
      processed AS (
        UPDATE raw_blockchain_events SET processed_at = now() WHERE tx_digest = ANY(${v.freshDigests})
      ),
      logged AS (
        UPDATE transaction_processing_log l SET status = 'completed', handler = x.handler, error_message = NULL, finished_at = now(), updated_at = now()
        FROM jsonb_to_recordset(${v.handlers}) AS x(tx_digest text, handler text)
        -- ANY(...) makes it an index lookup: the log holds every transaction ever processed.
        WHERE l.tx_digest = ANY(${v.digests}) AND l.tx_digest = x.tx_digest
      )
      -- The CTEs not read below (outbox, webhooks, processed, logged) run all the same: PostgreSQL executes
      -- every data-modifying CTE to completion whether or not the query reads it.
      SELECT (SELECT coalesce(json_object_agg(tx_digest, n), '{}') FROM (SELECT tx_digest, count(*) AS n FROM history GROUP BY tx_digest) h) AS history,
             (SELECT coalesce(json_object_agg(tx_digest, n), '{}') FROM (SELECT tx_digest, count(*) AS n FROM events GROUP BY tx_digest) e) AS events,
             (SELECT coalesce(json_agg(json_build_array(tx_digest, account_id::text, token)), '[]') FROM released) AS released`
}

/** Per job: the rows its effects inserted, and the balances it changed or released a pending amount of. */
function writeResultsOf(jobs: readonly JobWrite[], written: EffectsWritten): Map<string, WriteResult> {
  const results = new Map<string, WriteResult>()
  for (const {tx, effects, alreadyProcessed} of jobs) {
    const release = alreadyProcessed ? [] : written.released.filter(([digest]) => digest === tx.digest).map(([, accountId, token]) => ({accountId, token}))
    results.set(tx.digest, {
      accountTransactions: Number(written.history[tx.digest] ?? 0),
      contractEvents: Number(written.events[tx.digest] ?? 0),
      touched: uniqueKeys([...effects.balanceChanges, ...release]),
    })
  }
  return results
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
