// The workers' part of the status: transactions that failed for good (with the accounts they name,
// whose balances were marked stale), and how far processing is behind what the poller stored.
import {namedAddresses} from '../processing/raw-event-addresses.ts'
import type {Database} from '../store/database.ts'
import type {FailedTransactionView, ProcessingStatus, UnprocessedTransactionView} from './status-report.ts'

/** Failed transactions listed by name; the count covers them all. */
const NEWEST_FAILED = 5

export async function readProcessingStatus(db: Database): Promise<ProcessingStatus> {
  const [failedCount, newestFailed, unprocessedCount, oldestUnprocessed] = await Promise.all([
    countRows(db, `SELECT count(*)::int AS count FROM transaction_processing_log WHERE status = 'failed'`),
    readNewestFailed(db),
    // Both use the partial index raw_blockchain_events_unprocessed_idx.
    countRows(db, `SELECT count(*)::int AS count FROM raw_blockchain_events WHERE processed_at IS NULL`),
    readOldestUnprocessed(db),
  ])
  return {failed: {count: failedCount, newest: newestFailed}, unprocessed: {count: unprocessedCount, oldest: oldestUnprocessed}}
}

/** Runs a `SELECT count(*)::int AS count ...`. */
async function countRows(db: Database, sql: string): Promise<number> {
  const {rows} = await db.raw<{rows: {count: number}[]}>(sql)
  return rows[0]?.count ?? 0
}

async function readNewestFailed(db: Database): Promise<FailedTransactionView[]> {
  const {rows} = await db.raw<{rows: {tx_digest: string; error_message: string | null; attempts: number; finished_at: Date | null; accounts: string[]}[]}>(
    `SELECT l.tx_digest, l.error_message, l.attempts, l.finished_at,
            ARRAY(SELECT coalesce(a.email, a.sui_address) FROM accounts a
                  WHERE a.deleted_at IS NULL AND a.sui_address = ANY(ARRAY(SELECT named.address FROM LATERAL (${namedAddresses('e')}) AS named(address)))
                  ORDER BY a.id) AS accounts
       FROM transaction_processing_log l LEFT JOIN raw_blockchain_events e USING (tx_digest)
      WHERE l.status = 'failed' ORDER BY l.finished_at DESC NULLS LAST, l.id DESC LIMIT ?`,
    [NEWEST_FAILED],
  )
  return rows.map((r) => ({digest: r.tx_digest, error: r.error_message, attempts: r.attempts, finishedAt: r.finished_at?.toISOString() ?? null, accounts: r.accounts}))
}

async function readOldestUnprocessed(db: Database): Promise<UnprocessedTransactionView | null> {
  const {rows} = await db.raw<{rows: {tx_digest: string; checkpoint: string; created_at: Date; age_ms: number}[]}>(
    `SELECT tx_digest, checkpoint, created_at, round(extract(epoch FROM now() - created_at) * 1000)::float8 AS age_ms
       FROM raw_blockchain_events WHERE processed_at IS NULL ORDER BY id LIMIT 1`,
  )
  const row = rows[0]
  return row ? {digest: row.tx_digest, checkpoint: BigInt(row.checkpoint), storedAt: row.created_at.toISOString(), ageMs: row.age_ms} : null
}
