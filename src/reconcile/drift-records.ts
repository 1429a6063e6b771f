// The open drift records (balance_drift, closed_at IS NULL): what `confio reconcile --report`
// lists and `confio status` counts and shows the largest of, read the same way for both.
import type {Database} from '../store/database.ts'

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
