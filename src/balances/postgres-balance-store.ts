// The PostgreSQL level of the balance cache: the balances table as services and commands read and
// write it (the worker's batch statement, account removal and pending expiry change rows in their
// own statements, by the same rules). Every write bumps the row's version and queues it for Redis
// (balance_cache_outbox) in the same statement, so a change is never committed without Redis
// being told eventually.
//
// A value read from the chain is written only when its reply's height is at or after the row's
// base, and every transaction the worker has seen for the row (seen_checkpoint) is before the
// value's window (src/chain/reader/height-window.ts): a change inside the window may or may not be in the
// value, and one after it would be undone by it.
import type {Knex} from 'knex'
import type {BalanceRecord} from '../chain/index.ts'
import {UsageError} from '../errors.ts'
import type {Database} from '../store/database.ts'
import type {BalanceKey} from './balance-keys.ts'
import type {CachedBalance} from './cached-balance.ts'
import {pendingReleaseLock} from './pending-release-lock.ts'

interface BalanceRow {
  account_id: string
  token: string
  amount: string
  pending_amount: string
  base_checkpoint: string | null
  version: string
  is_stale: boolean
  synced_ms: string | null
}

/** The highest checkpoint the worker has counted for the row, read beside COLUMNS. */
const SEEN = 'b.seen_checkpoint::text AS seen'

type SeenRow = BalanceRow & {seen: string | null}

const COLUMNS = `b.account_id::text, b.token, b.amount::text, b.pending_amount::text, b.base_checkpoint::text, b.version::text, b.is_stale,
  (extract(epoch FROM b.last_synced) * 1000)::bigint::text AS synced_ms`

/** A balance as a chain read gave it: the amount, the height its reply named, and what that proves. */
export type ChainValue = Pick<BalanceRecord, 'total' | 'checkpoint' | 'window'>

export interface ChainWrite {
  /** The row as it stands after the write, whether or not the write landed. */
  readonly balance: CachedBalance
  /** false when the row already held this value, or could not take it exactly. */
  readonly written: boolean
  /** The row now holds the chain's value: written, or trusted and holding this amount already. */
  readonly confirmed: boolean
  /** The highest checkpoint of a transaction counted for the row (seen_checkpoint); null: none. */
  readonly seen: bigint | null
}

export class PostgresBalanceStore {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  async read(key: BalanceKey): Promise<CachedBalance | undefined> {
    return (await this.readMany([key], this.db))[0]
  }

  /** The rows that exist among `keys`, in no particular order. */
  async readMany(keys: readonly BalanceKey[], db: Knex = this.db): Promise<CachedBalance[]> {
    if (keys.length === 0) return []
    const {rows} = await db.raw<{rows: BalanceRow[]}>(
      `SELECT ${COLUMNS} FROM balances b JOIN unnest(?::bigint[], ?::text[]) AS k(account_id, token) USING (account_id, token)`,
      [keys.map((k) => k.accountId), keys.map((k) => k.token)],
    )
    return rows.map(fromRow)
  }

  /**
   * Every row of these accounts, each with the highest checkpoint the worker has seen for it (a
   * comparison with the chain at H is only fair when nothing after H has been counted).
   */
  async readAccounts(accountIds: readonly string[]): Promise<{balance: CachedBalance; seen: bigint | null}[]> {
    if (accountIds.length === 0) return []
    const {rows} = await this.db.raw<{rows: SeenRow[]}>(`SELECT ${COLUMNS}, ${SEEN} FROM balances b WHERE b.account_id = ANY(?::bigint[])`, [[...accountIds]])
    return rows.map(fromSeenRow)
  }

  /**
   * Sets a chain value as the new base, unless the row cannot take it exactly: an older reply than
   * its base, or a transaction counted at or after the value's window (a change in the window may
   * or may not be in the value; one after it would be undone).
   */
  async writeFromChain(key: BalanceKey, value: ChainValue): Promise<ChainWrite> {
    const rows = await this.writeValues([{key, value}])
    if (rows[0]) return {...fromSeenRow(rows[0]), written: true, confirmed: true}
    if (rows[0]) return {...fromSeenRow(rows[0]), written: true, confirmed: true}
    // Not written: the same value already, or a row that cannot take it. A trusted row holding
    // this very amount agrees with the chain at some point of the window: the read confirms it.
    const {rows: same} = await this.db.raw<{rows: SeenRow[]}>(
      `UPDATE balances b SET last_synced = now(), last_blockchain_check = now(), sync_attempts = 0
       WHERE b.account_id = ? AND b.token = ? AND NOT b.is_stale AND b.base_checkpoint IS NOT NULL AND b.amount = ?
       RETURNING ${COLUMNS}, ${SEEN}`,
      [key.accountId, key.token, value.total.toString()],
    )
    if (same[0]) return {...fromSeenRow(same[0]), written: false, confirmed: true}
    const {rows: current} = await this.db.raw<{rows: SeenRow[]}>(`SELECT ${COLUMNS}, ${SEEN} FROM balances b WHERE b.account_id = ? AND b.token = ?`, [key.accountId, key.token])
    if (!current[0]) throw new Error(`balances row ${key.accountId}/${key.token} vanished during a chain write`)
    return {...fromSeenRow(current[0]), written: false, confirmed: false}
  }

  /**
   * Many chain values at once (each key once), each by writeFromChain's rule, in one statement:
   * the rows written, as they are after it. A reconcile run sets a batch of bases so.
   */
  async writeManyFromChain(values: readonly {key: BalanceKey; value: ChainValue}[]): Promise<CachedBalance[]> {
    return (await this.writeValues(values)).map(fromRow)
  }

  /** The chain write rule (see writeFromChain) over many values; the rows written. */
  private async writeValues(values: readonly {key: BalanceKey; value: ChainValue}[]): Promise<SeenRow[]> {
    if (values.length === 0) return []
    const column = (pick: (v: {key: BalanceKey; value: ChainValue}) => string) => values.map(pick)
    const {rows} = await this.db.raw<{rows: SeenRow[]}>(
      `WITH w AS (
        INSERT INTO balances AS b (account_id, token, amount, base_checkpoint, base_window_from, base_window_to, is_stale, last_synced, last_blockchain_check, sync_attempts)
        SELECT v.account_id, v.token, v.amount, v.base, v.window_from, v.window_to, false, now(), now(), 0
        FROM unnest(?::bigint[], ?::text[], ?::numeric[], ?::bigint[], ?::bigint[], ?::bigint[]) AS v(account_id, token, amount, base, window_from, window_to)
        ORDER BY v.account_id, v.token
        ON CONFLICT (account_id, token) DO UPDATE SET
          amount = EXCLUDED.amount, base_checkpoint = EXCLUDED.base_checkpoint, base_window_from = EXCLUDED.base_window_from,
          base_window_to = EXCLUDED.base_window_to, is_stale = false, last_synced = now(), last_blockchain_check = now(), sync_attempts = 0,
          version = b.version + 1
        WHERE EXCLUDED.base_checkpoint >= coalesce(b.base_checkpoint, 0)
          AND coalesce(b.seen_checkpoint, -1) < EXCLUDED.base_window_from
          AND (b.is_stale OR b.base_checkpoint IS DISTINCT FROM EXCLUDED.base_checkpoint OR b.amount <> EXCLUDED.amount
               OR b.base_window_from IS DISTINCT FROM EXCLUDED.base_window_from OR b.base_window_to IS DISTINCT FROM EXCLUDED.base_window_to)
        RETURNING ${COLUMNS}, ${SEEN}
      ),
      outbox AS (INSERT INTO balance_cache_outbox (account_id, token) SELECT account_id::bigint, token FROM w)
      SELECT * FROM w`,
      [
        column((v) => v.key.accountId),
        column((v) => v.key.token),
        column((v) => v.value.total.toString()),
        column((v) => v.value.checkpoint.toString()),
        column((v) => v.value.window.from.toString()),
        column((v) => v.value.window.to.toString()),
      ],
    )
    return rows
  }

  /** Marks the account's balances (one token, or all) stale; returns the rows changed. */
  async markStale(accountId: string, token?: string): Promise<CachedBalance[]> {
    const {rows} = await this.db.raw<{rows: BalanceRow[]}>(
      `WITH s AS (
        UPDATE balances b SET is_stale = true, version = b.version + 1
        WHERE b.account_id = ? ${token === undefined ? '' : 'AND b.token = ?'} AND NOT b.is_stale
        RETURNING ${COLUMNS}
      ),
      outbox AS (INSERT INTO balance_cache_outbox (account_id, token) SELECT account_id::bigint, token FROM s)
      SELECT * FROM s`,
      token === undefined ? [accountId] : [accountId, token],
    )
    return rows.map(fromRow)
  }

  /**
   * Records an amount an in-flight send has committed to, until the worker processes `digest`.
   * The same digest twice adds nothing (with another amount: PendingConflictError). A digest the worker has already processed records nothing
   * (its changes are in the balance already): `recorded` false. Returns the row after it, if any.
   */
  async addPending(key: BalanceKey, amount: bigint, digest: string): Promise<{balance: CachedBalance | undefined; recorded: boolean}> {
    return this.db.transaction(async (trx) => {
      // Under the lock the worker takes before it releases this digest's pending amounts
      // (pending-release-lock.ts): it has either committed processed_at, or will see this row.
      await trx.raw(`SELECT ${pendingReleaseLock('?')}`, [digest])
      const {rows: processed} = await trx.raw<{rows: unknown[]}>('SELECT 1 FROM raw_blockchain_events WHERE tx_digest = ? AND processed_at IS NOT NULL', [digest])
      if (processed.length > 0) return {balance: await this.read(key), recorded: false}
      const {rows} = await trx.raw<{rows: BalanceRow[]}>(
        `WITH p AS (
          INSERT INTO pending_balance_changes (tx_digest, account_id, token, amount) VALUES (?, ?, ?, ?)
          ON CONFLICT DO NOTHING RETURNING account_id, token, amount
        ),
        b AS (
          INSERT INTO balances AS b (account_id, token, pending_amount, is_stale)
          SELECT account_id, token, amount, true FROM p
          ON CONFLICT (account_id, token) DO UPDATE SET pending_amount = b.pending_amount + EXCLUDED.pending_amount, version = b.version + 1
          RETURNING ${COLUMNS}
        ),
        outbox AS (INSERT INTO balance_cache_outbox (account_id, token) SELECT account_id::bigint, token FROM b)
        SELECT * FROM b`,
        [digest, key.accountId, key.token, amount.toString()],
      )
      if (rows[0]) return {balance: fromRow(rows[0]), recorded: true}
      // Recorded before: the same send again adds nothing; another amount under its digest is a
      // client's mistake that must not pass for a retry.
      const {rows: held} = await trx.raw<{rows: {amount: string}[]}>('SELECT amount::text FROM pending_balance_changes WHERE tx_digest = ? AND account_id = ? AND token = ?', [digest, key.accountId, key.token])
      const heldAmount = held[0] === undefined ? undefined : BigInt(held[0].amount)
      if (heldAmount !== undefined && heldAmount !== amount) throw new PendingConflictError(digest, key, heldAmount, amount)
      return {balance: (await this.readMany([key], trx))[0], recorded: true}
    })
  }

  /**
   * Releases what was recorded for `digest` (a send the wallet gave up on), as the worker and pending
   * expiry release it: the pending rows go, each balance's pending_amount drops (never below 0)
   * with a new version, queued for Redis. Under the pending release lock, so it never races the
   * worker's release of the same digest; the balances rows are locked in (account, token) order,
   * the worker's. Returns the rows changed; none when nothing was pending for the digest.
   */
  async releasePending(digest: string): Promise<CachedBalance[]> {
    return this.db.transaction(async (trx) => {
      await trx.raw(`SELECT ${pendingReleaseLock('?')}`, [digest])
      await trx.raw(lockBalanceRows('SELECT account_id, token FROM pending_balance_changes WHERE tx_digest = ?'), [digest])
      const {rows} = await trx.raw<{rows: BalanceRow[]}>(
        pendingReleaseStatement('DELETE FROM pending_balance_changes p WHERE p.tx_digest = ? RETURNING p.account_id, p.token, p.amount', 'SELECT * FROM released ORDER BY account_id::bigint, token'),
        [digest],
      )
      return rows.map(fromRow)
    })
  }
}

/** A digest recorded with one amount, sent again with another (for the same account and token). */
export class PendingConflictError extends UsageError {
  constructor(digest: string, key: BalanceKey, held: bigint, sent: bigint) {
    super(`transaction ${digest} has ${held} ${key.token} pending for account ${key.accountId} already; ${sent} was sent now`, {
      remedy: 'a digest is recorded once: send the same amount again (idempotent), or release it first (DELETE /v1/pending/{digest})',
    })
  }
}

/** Locks the balances rows of the (account_id, token) pairs `keys` selects, in (account, token) order: the worker's, so no two releases deadlock. */
export function lockBalanceRows(keys: string): string {
  return `SELECT 1 FROM balances b WHERE (b.account_id, b.token) IN (${keys}) ORDER BY b.account_id, b.token FOR UPDATE`
}

/**
 * The one statement that releases pending amounts (a send given up on, or expired: pending
 * expiry): `gone` deletes pending_balance_changes rows and returns their (account_id, token,
 * amount); each balance's pending_amount drops by their sum, never below 0, with a new version,
 * queued for Redis. `select` reads `released` (the balances rows changed, as COLUMNS names them).
 * The caller holds the locks (lockBalanceRows).
 */
export function pendingReleaseStatement(gone: string, select: string): string {
  return `WITH gone AS (${gone}),
    release AS (SELECT account_id, token, sum(amount) AS amount FROM gone GROUP BY account_id, token),
    released AS (
      UPDATE balances b SET pending_amount = GREATEST(b.pending_amount - r.amount, 0), version = b.version + 1
      FROM release r WHERE b.account_id = r.account_id AND b.token = r.token
      RETURNING ${COLUMNS}
    ),
    outbox AS (INSERT INTO balance_cache_outbox (account_id, token) SELECT account_id::bigint, token FROM released ORDER BY account_id, token)
    ${select}`
}

function fromSeenRow(row: SeenRow): {balance: CachedBalance; seen: bigint | null} {
  return {balance: fromRow(row), seen: row.seen === null ? null : BigInt(row.seen)}
}

function fromRow(row: BalanceRow): CachedBalance {
  return {
    accountId: row.account_id,
    token: row.token,
    amount: BigInt(row.amount),
    pending: BigInt(row.pending_amount),
    checkpoint: row.base_checkpoint === null ? null : BigInt(row.base_checkpoint),
    version: BigInt(row.version),
    stale: row.is_stale,
    syncedAtMs: row.synced_ms === null ? null : Number(row.synced_ms),
  }
}
