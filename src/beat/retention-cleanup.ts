// The daily cleanup: raw_blockchain_events and transaction_processing_log rows past the retention
// (90 days by default, the original design's), and webhook events delivered that long ago. The
// history the wallet shows (account_transactions, contract_events) is kept; what goes is the raw
// chain data, the processing audit trail and the record of deliveries. A webhook event still
// pending or kept as failed is never deleted: it waits for a receiver or for a person.
//
// Never deleted: a raw event not processed yet (processed_at IS NULL: the worker still needs it),
// a log row whose transaction is not completed or failed (it is being worked on), and a failed
// log row whose raw event is still there unprocessed (it says why that event is still waiting).
//
// Deletion goes in batches of `batchSize` rows, each one statement and so one short transaction,
// walking each table by id from where the batch before stopped: no long lock, no long transaction
// holding back vacuum, and a stop (SIGTERM) between batches loses nothing. The condition is
// checked again on the row being deleted, so a row that changed meanwhile (a failed transaction
// queued again) is left alone.
import type {Database} from '../store/database.ts'

export interface RetentionCleanupOptions {
  readonly db: Database
  /** Rows older than this go. */
  readonly retentionMs: number
  /** Rows per batch (default 5,000). */
  readonly batchSize?: number
  readonly signal?: AbortSignal
}

export interface RetentionCleanupResult {
  /** The cut-off, by the database's clock. */
  readonly before: string
  readonly rawEvents: number
  readonly processingLog: number
  readonly webhookDeliveries: number
  readonly batches: number
  /** Stopped by a signal before the end. */
  readonly stopped: boolean
}

/** One table's batch: the candidates (by id, after `after`) and the DELETE that rechecks them. */
interface Sweep {
  readonly candidates: string
  readonly recheck: string
}

const RAW_EVENTS: Sweep = {
  candidates: `SELECT e.id FROM raw_blockchain_events e
               WHERE e.id > ? AND e.created_at < ? AND e.processed_at IS NOT NULL
               ORDER BY e.id LIMIT ?`,
  recheck: `DELETE FROM raw_blockchain_events t USING batch
            WHERE t.id = batch.id AND t.created_at < ? AND t.processed_at IS NOT NULL`,
}

const KEEP_FAILED_WITH_EVENT = (log: string) =>
  `NOT EXISTS (SELECT 1 FROM raw_blockchain_events e WHERE e.tx_digest = ${log}.tx_digest AND e.processed_at IS NULL)`

const PROCESSING_LOG: Sweep = {
  candidates: `SELECT l.id FROM transaction_processing_log l
               WHERE l.id > ? AND l.updated_at < ? AND l.status IN ('completed', 'failed') AND ${KEEP_FAILED_WITH_EVENT('l')}
               ORDER BY l.id LIMIT ?`,
  recheck: `DELETE FROM transaction_processing_log t USING batch
            WHERE t.id = batch.id AND t.updated_at < ? AND t.status IN ('completed', 'failed') AND ${KEEP_FAILED_WITH_EVENT('t')}`,
}

export async function cleanupExpiredRows(options: RetentionCleanupOptions): Promise<RetentionCleanupResult> {
  const {db, signal} = options
  const batchSize = options.batchSize ?? 5_000
  const {rows} = await db.raw<{rows: {before: Date}[]}>(`SELECT now() - ? * interval '1 millisecond' AS before`, [options.retentionMs])
  const before = rows[0]!.before
  let batches = 0

  const sweep = async (table: Sweep): Promise<number> => {
    let after = '0'
    let deleted = 0
    while (!signal?.aborted) {
      const {rows: result} = await db.raw<{rows: {last: string | null; scanned: number; deleted: number}[]}>(
        `WITH batch AS (${table.candidates}),
         gone AS (${table.recheck} RETURNING t.id)
         SELECT (SELECT max(id) FROM batch)::text AS last, (SELECT count(*) FROM batch)::int AS scanned, (SELECT count(*) FROM gone)::int AS deleted`,
        [after, before, batchSize, before],
      )
      const {last, scanned, deleted: n} = result[0]!
      batches += 1
      deleted += n
      if (scanned < batchSize || last === null) break
      after = last
    }
    return deleted
  }

  // Keyed by uuid, so not walked by id: each batch takes the oldest delivered rows left, by the
  // partial index on delivered_at, until a batch comes back short.
  const sweepDelivered = async (): Promise<number> => {
    let deleted = 0
    while (!signal?.aborted) {
      const {rows: result} = await db.raw<{rows: {deleted: number}[]}>(
        `WITH batch AS (SELECT id FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < ? ORDER BY delivered_at LIMIT ?),
         gone AS (DELETE FROM webhook_deliveries w USING batch WHERE w.id = batch.id AND w.status = 'delivered' RETURNING w.id)
         SELECT (SELECT count(*) FROM gone)::int AS deleted`,
        [before, batchSize],
      )
      const n = result[0]!.deleted
      batches += 1
      deleted += n
      if (n < batchSize) break
    }
    return deleted
  }

  const rawEvents = await sweep(RAW_EVENTS)
  const processingLog = await sweep(PROCESSING_LOG)
  const webhookDeliveries = await sweepDelivered()
  return {before: before.toISOString(), rawEvents, processingLog, webhookDeliveries, batches, stopped: signal?.aborted ?? false}
}
