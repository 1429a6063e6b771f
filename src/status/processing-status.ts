// The workers' part of the status: transactions that failed for good, and how far processing is
// behind what the poller stored.
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
  const {rows} = await db.raw<{rows: {tx_digest: string; error_message: string | null; attempts: number; finished_at: Date | null}[]}>(
    `SELECT tx_digest, error_message, attempts, finished_at FROM transaction_processing_log
      WHERE status = 'failed' ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT ?`,
    [NEWEST_FAILED],
  )
  return rows.map((r) => ({digest: r.tx_digest, error: r.error_message, attempts: r.attempts, finishedAt: r.finished_at?.toISOString() ?? null}))
}

async function readOldestUnprocessed(db: Database): Promise<UnprocessedTransactionView | null> {
  const {rows} = await db.raw<{rows: {tx_digest: string; checkpoint: string; created_at: Date; age_ms: number}[]}>(
    `SELECT tx_digest, checkpoint, created_at, round(extract(epoch FROM now() - created_at) * 1000)::float8 AS age_ms
       FROM raw_blockchain_events WHERE processed_at IS NULL ORDER BY id LIMIT 1`,
  )
  const row = rows[0]
  return row ? {digest: row.tx_digest, checkpoint: BigInt(row.checkpoint), storedAt: row.created_at.toISOString(), ageMs: row.age_ms} : null
}
