// The worker's database work for one job, in two round trips on one connection. A job's cost is
// dominated by round trips (and by the CPU each statement takes on a small machine), so the
// statements are sent as PostgreSQL simple-protocol messages holding several statements each,
// with every value inlined as an escaped literal (pg's escapeLiteral):
//
//   1. start:  log row -> `processing` (attempts + 1, a stall counted if it was still `processing`);
//              COMMIT (so a worker that dies later leaves that trace; asynchronous, see start());
//              BEGIN; read and lock the
//              raw event FOR UPDATE with the accounts it names. A job past the stall limit does
//              not take the lock (a poison transaction may be holding up whoever takes it).
//   2. finish: every effect in one statement of data-modifying CTEs (history rows, contract
//              events, stale balances, released pending amounts, processed_at, the log's
//              `completed`); COMMIT.
//
// Two runs of one digest take turns on the row lock; the second finds processed_at set. Unique
// constraints with ON CONFLICT DO NOTHING keep even a run that bypassed that check from adding
// rows.
import type pg from 'pg'
import type {BalanceKey} from '../balances/balance-keys.ts'
import {fromRawEventRow, type KnownAccounts, type ProcessableTransaction, type RawEventRow} from '../processing/processable-transaction.ts'
import type {TransactionEffects} from '../processing/transaction-effects.ts'
import type {AttemptStart} from './processing-log.ts'
import type {Database} from './database.ts'

export interface LoadedTransaction {
  readonly tx: ProcessableTransaction
  readonly accounts: KnownAccounts
}

export interface JobStart {
  readonly attempt: AttemptStart
  /** undefined when there is no raw event, or when the stall limit was reached (not read). */
  readonly loaded: LoadedTransaction | undefined
}

export interface WriteResult {
  readonly accountTransactions: number
  readonly contractEvents: number
  /** Balances marked stale: the effects' touched keys plus any whose pending amount was released. */
  readonly touched: BalanceKey[]
}

type Connection = pg.Client

/** One job's connection and open transaction; always end it with finish(), commit() or rollback(). */
export class JobTransaction {
  private readonly db: Database
  private readonly connection: Connection
  private open = false
  private released = false

  private constructor(db: Database, connection: Connection) {
    this.db = db
    this.connection = connection
  }

  static async acquire(db: Database): Promise<JobTransaction> {
    return new JobTransaction(db, (await db.client.acquireConnection()) as Connection)
  }

  /** Marks the run started (committed), then opens the job's transaction and reads the raw event. */
  async start(digest: string, stallLimit: number): Promise<JobStart> {
    const d = this.literal(digest)
    this.open = true
    // The `processing` mark is committed without waiting for its WAL flush (it is bookkeeping):
    // the job's own commit, later in the same WAL, flushes it too, and a PostgreSQL crash in
    // between loses only an attempt count, never an effect. One durable commit per job.
    const results = await this.query(`
      BEGIN;
      SET LOCAL synchronous_commit TO off;
      INSERT INTO transaction_processing_log AS l (tx_digest, status, attempts, started_at, updated_at)
      VALUES (${d}, 'processing', 1, now(), now())
      ON CONFLICT (tx_digest) DO UPDATE SET
        status = 'processing',
        attempts = l.attempts + 1,
        stalls = l.stalls + (l.status = 'processing')::int,
        started_at = now(), finished_at = NULL, updated_at = now()
      RETURNING attempts, stalls;
      COMMIT;
      BEGIN;
      WITH r AS (
        SELECT tx_digest, checkpoint, timestamp_ms, sender, success, execution_error, move_calls, events, balance_changes,
               gas_used, gas_owner, parse_error, processed_at
        FROM raw_blockchain_events
        WHERE tx_digest = ${d}
          AND (SELECT stalls FROM transaction_processing_log WHERE tx_digest = ${d}) < ${integer(stallLimit)}
        FOR UPDATE
      )
      SELECT r.*, (
        SELECT coalesce(json_agg(json_build_array(a.id::text, a.sui_address)), '[]')
        FROM accounts a
        WHERE a.deleted_at IS NULL AND a.sui_address IN (
          SELECT c->>'address' FROM jsonb_array_elements(r.balance_changes) c
          UNION SELECT r.sender UNION SELECT r.gas_owner
          UNION SELECT m[1] FROM regexp_matches(r.events::text, '0x[0-9a-f]{64}', 'g') m
        )
      ) AS known_accounts
      FROM r;`)
    const attempt = results[2]!.rows[0] as {attempts: number; stalls: number}
    const row = results[5]!.rows[0] as (RawEventRow & {known_accounts: [string, string][]}) | undefined
    return {
      attempt: {attempts: attempt.attempts, stalls: attempt.stalls},
      loaded: row && {tx: fromRawEventRow(row), accounts: new Map(row.known_accounts.map(([id, address]) => [address, id]))},
    }
  }

  /** Writes the effects, processed_at and the log's `completed`, and commits. */
  async finish(tx: ProcessableTransaction, effects: TransactionEffects, handler: string): Promise<WriteResult> {
    const history = effects.accountTransactions.map((r) => ({account_id: r.accountId, token: r.token, direction: r.direction, amount: r.amount.toString(), counterparty: r.counterparty}))
    const events = effects.contractEvents.map((e) => ({
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
    const touched = effects.touched.map((k) => ({account_id: k.accountId, token: k.token}))
    const d = this.literal(tx.digest)
    const checkpoint = integer(tx.checkpoint)
    const timestamp = tx.timestampMs === null ? 'NULL' : integer(tx.timestampMs)
    const results = await this.query(`
      WITH
      history AS (
        INSERT INTO account_transactions (account_id, tx_digest, token, direction, amount, counterparty, checkpoint, timestamp_ms)
        SELECT x.account_id, ${d}, x.token, x.direction, x.amount, x.counterparty, ${checkpoint}, ${timestamp}
        FROM jsonb_to_recordset(${this.literal(JSON.stringify(history))}::jsonb)
          AS x(account_id bigint, token text, direction text, amount numeric, counterparty text)
        ON CONFLICT (tx_digest, account_id, token, direction) DO NOTHING
        RETURNING 1
      ),
      events AS (
        INSERT INTO contract_events (tx_digest, event_seq, package, module, event_name, event_type, fields, typed, parse_error, account_ids, sender, checkpoint, timestamp_ms)
        SELECT ${d}, x.event_seq, x.package, x.module, x.event_name, x.event_type, x.fields, x.typed, x.parse_error, x.account_ids, x.sender, ${checkpoint}, ${timestamp}
        FROM jsonb_to_recordset(${this.literal(JSON.stringify(events))}::jsonb)
          AS x(event_seq integer, package text, module text, event_name text, event_type text, fields jsonb, typed boolean, parse_error text, account_ids bigint[], sender text)
        ON CONFLICT (tx_digest, event_seq) DO NOTHING
        RETURNING 1
      ),
      released AS (
        DELETE FROM pending_balance_changes WHERE tx_digest = ${d} RETURNING account_id, token, amount
      ),
      release AS (
        SELECT account_id, token, sum(amount) AS amount FROM released GROUP BY account_id, token
      ),
      touched AS (
        SELECT x.account_id, x.token FROM jsonb_to_recordset(${this.literal(JSON.stringify(touched))}::jsonb) AS x(account_id bigint, token text)
        UNION SELECT account_id, token FROM release
      ),
      stale AS (
        INSERT INTO balances AS b (account_id, token, is_stale)
        -- In a fixed order: two jobs touching the same balances lock them in the same order and
        -- cannot deadlock.
        SELECT account_id, token, true FROM touched ORDER BY account_id, token
        ON CONFLICT (account_id, token) DO UPDATE SET
          is_stale = true,
          pending_amount = GREATEST(b.pending_amount - coalesce((SELECT r.amount FROM release r WHERE r.account_id = b.account_id AND r.token = b.token), 0), 0)
        RETURNING account_id, token
      ),
      processed AS (
        UPDATE raw_blockchain_events SET processed_at = now() WHERE tx_digest = ${d} RETURNING 1
      ),
      logged AS (
        UPDATE transaction_processing_log SET status = 'completed', handler = ${this.literal(handler)}, error_message = NULL, finished_at = now(), updated_at = now()
        WHERE tx_digest = ${d} RETURNING 1
      )
      SELECT (SELECT count(*) FROM history) AS history, (SELECT count(*) FROM events) AS events,
             (SELECT coalesce(json_agg(json_build_array(account_id::text, token)), '[]') FROM stale) AS touched,
             (SELECT count(*) FROM processed) + (SELECT count(*) FROM logged) AS updated;
      COMMIT;`)
    this.open = false
    const row = results[0]!.rows[0] as {history: string; events: string; touched: [string, string][]}
    return {accountTransactions: Number(row.history), contractEvents: Number(row.events), touched: row.touched.map(([accountId, token]) => ({accountId, token}))}
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

  private literal(value: string): string {
    return this.connection.escapeLiteral(value)
  }

  /** A simple-protocol message; its result is one entry per statement. */
  private async query(text: string): Promise<pg.QueryResult[]> {
    const result = (await this.connection.query(text)) as pg.QueryResult | pg.QueryResult[]
    return Array.isArray(result) ? result : [result]
  }
}

function integer(value: number | bigint): string {
  const text = value.toString()
  if (!/^-?\d+$/.test(text)) throw new TypeError(`not an integer: ${text}`)
  return text
}
