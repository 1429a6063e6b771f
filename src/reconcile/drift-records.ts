// The drift records (balance_drift): one open record per (account, token) in drift, which each run
// that finds it again counts and a run that finds the balance agreeing closes. The open ones are
// what `confio reconcile --report` lists and `confio status` counts and shows the largest of, read
// the same way for both.
import type {BalanceKey} from '../balances/balance-keys.ts'
import type {Database} from '../store/database.ts'
import type {DriftFinding} from './reconcile-report.ts'
import {driftEventsInsert} from '../webhooks/webhook-events.ts'

export interface OpenDriftRecord {
  readonly accountId: string
  readonly address: string
  readonly email: string | null
  readonly token: string
  /** ISO 8601. */
  readonly firstSeen: string
  readonly lastSeen: string
  /** Reconcile runs that saw it. */
  readonly runs: number
  /** null: confio had no balance row. */
  readonly cached: bigint | null
  readonly chain: bigint
  /** chain - cached, base units. */
  readonly difference: bigint
  /** The chain height of the last run that saw it. */
  readonly checkpoint: bigint
}

/** Largest difference first; all of them, or the first `limit`. */
export async function readOpenDrift(db: Database, limit?: number): Promise<OpenDriftRecord[]> {
  const {rows} = await db.raw<{rows: Record<string, string | Date | number | null>[]}>(
    `SELECT d.account_id::text, a.sui_address, a.email, d.token, d.first_seen, d.last_seen, d.runs, d.cached_amount::text,
            d.chain_amount::text, d.difference::text, d.chain_checkpoint::text
     FROM balance_drift d JOIN accounts a ON a.id = d.account_id
     WHERE d.closed_at IS NULL ORDER BY abs(d.difference) DESC, d.id ${limit === undefined ? '' : 'LIMIT ?'}`,
    limit === undefined ? [] : [limit],
  )
  return rows.map((r) => ({
    accountId: r.account_id as string,
    address: r.sui_address as string,
    email: r.email as string | null,
    token: r.token as string,
    firstSeen: (r.first_seen as Date).toISOString(),
    lastSeen: (r.last_seen as Date).toISOString(),
    runs: Number(r.runs),
    cached: r.cached_amount === null ? null : BigInt(r.cached_amount as string),
    chain: BigInt(r.chain_amount as string),
    difference: BigInt(r.difference as string),
    checkpoint: BigInt(r.chain_checkpoint as string),
  }))
}

/**
 * Opens a record per finding, or counts the open one again with the new amounts. With `webhooks`,
 * a record opened queues a `balance.drift` event in the same statement (src/webhooks/webhook-events.ts).
 */
export async function recordDrift(db: Database, findings: readonly DriftFinding[], options: {webhooks?: boolean} = {}): Promise<void> {
  for (const f of findings) {
    const upsert = `INSERT INTO balance_drift (account_id, token, cached_amount, chain_amount, difference, chain_checkpoint)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, token) WHERE closed_at IS NULL DO UPDATE SET
         last_seen = now(), runs = balance_drift.runs + 1, cached_amount = EXCLUDED.cached_amount,
         chain_amount = EXCLUDED.chain_amount, difference = EXCLUDED.difference, chain_checkpoint = EXCLUDED.chain_checkpoint`
    const values = [f.accountId, f.token, f.cached?.toString() ?? null, f.chain.toString(), f.difference.toString(), f.checkpoint.toString()]
    // xmax is 0 on a row the statement inserted, not on one it updated: the record was opened.
    const statement = options.webhooks
      ? `WITH drift AS (${upsert}
         RETURNING id, account_id, token, cached_amount, chain_amount, difference, chain_checkpoint, first_seen, xmax = 0 AS opened)
         ${driftEventsInsert()}`
      : upsert
    await db.raw(statement, values)
  }
}

/** Closes the open records of balances found agreeing; returns how many it closed. */
export async function closeDrift(db: Database, agreeing: readonly BalanceKey[]): Promise<number> {
  const {rowCount} = await db.raw(
    `UPDATE balance_drift d SET closed_at = now() FROM unnest(?::bigint[], ?::text[]) AS k(account_id, token)
     WHERE d.account_id = k.account_id AND d.token = k.token AND d.closed_at IS NULL`,
    [agreeing.map((k) => k.accountId), agreeing.map((k) => k.token)],
  )
  return rowCount ?? 0
}
