// The accounts' coverage columns (migration 20261129050000_account_coverage): from which checkpoint
// the poller screens and decides with an account in its set (live_from), and how much of the
// history before that a separate read has stored (filled_through). The poller writes live_from when
// it picks an account up and fills monitored_from .. live_from - 1; a restart finds any fill a
// crash cut short.
import type {Database} from '../store/database.ts'

/** An account's history that no read has stored yet: checkpoints `from`..`to`, both inclusive. */
export interface CoverageGap {
  readonly accountId: string
  readonly address: string
  readonly from: bigint
  readonly to: bigint
}

/**
 * At start, before the accounts are loaded: every active account is in the set from `start` on.
 * Written only where it tells something: an account whose monitored_from is still NULL (added
 * before any cursor existed, or before this schema) has no history to fill and is simply live from
 * wherever the poller starts, every time, so a first start over a million such accounts writes
 * nothing. (Before the load, so these writes are not read back by the first refresh.)
 */
export async function startCoverage(db: Database, start: bigint): Promise<void> {
  await db.raw(
    `UPDATE accounts SET live_from = :start
      WHERE deleted_at IS NULL AND monitored_from IS NOT NULL AND (live_from IS NULL OR live_from > :start)`,
    {start: start.toString()},
  )
}

/** Accounts a refresh picked up: in the set from `from` on (unless already recorded earlier). */
export async function markLive(db: Database, accountIds: readonly string[], from: bigint): Promise<void> {
  if (accountIds.length === 0) return
  await db.raw(
    `UPDATE accounts SET live_from = :from, monitored_from = coalesce(monitored_from, :from)
      WHERE id = ANY(:ids::bigint[]) AND deleted_at IS NULL AND live_from IS NULL`,
    {from: from.toString(), ids: [...accountIds]},
  )
}

/** What is missing of the active accounts' histories (of `accountIds` only, when given). */
export async function coverageGaps(db: Database, accountIds?: readonly string[]): Promise<CoverageGap[]> {
  const only = accountIds === undefined ? '' : 'AND id = ANY(:ids::bigint[])'
  const {rows} = await db.raw<{rows: {id: string; sui_address: string; gap_from: string; gap_to: string}[]}>(
    `SELECT id::text, sui_address, greatest(filled_through + 1, monitored_from)::text AS gap_from, (live_from - 1)::text AS gap_to
       FROM accounts
      WHERE deleted_at IS NULL AND live_from IS NOT NULL AND monitored_from IS NOT NULL
        AND greatest(filled_through + 1, monitored_from) < live_from ${only}
      ORDER BY id`,
    accountIds === undefined ? {} : {ids: [...accountIds]},
  )
  return rows.map((row) => ({accountId: row.id, address: row.sui_address, from: BigInt(row.gap_from), to: BigInt(row.gap_to)}))
}

/** In the transaction that stored them: these accounts' histories are stored through `through`. */
export async function markFilled(trx: Database, filled: ReadonlyArray<{accountId: string; through: bigint}>): Promise<void> {
  if (filled.length === 0) return
  await trx.raw(
    `UPDATE accounts AS a SET filled_through = greatest(a.filled_through, f.through)
       FROM unnest(:ids::bigint[], :throughs::numeric[]) AS f(id, through)
      WHERE a.id = f.id`,
    {ids: filled.map((f) => f.accountId), throughs: filled.map((f) => f.through.toString())},
  )
}
