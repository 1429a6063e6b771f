// transaction_processing_log: one row per digest saying where its processing stands, for the
// on-call engineer and for the worker itself.
//
//   (no row) -> processing -> completed
//                          -> pending (failed, a retry is scheduled) -> processing -> ...
//                          -> failed (retries exhausted, a permanent error, or the stall limit)
//   failed -> pending (confio worker --retry-failed)
//
// `processing` is committed before the job's own transaction starts, so a worker that dies
// mid-job leaves it behind: the next run of that digest finds it and counts a stall.
import type {Database} from './database.ts'

export interface AttemptStart {
  /** Runs of this digest so far, this one included. */
  readonly attempts: number
  /** Runs that died mid-job (found still `processing` when the next one started). */
  readonly stalls: number
}

export async function markCompleted(db: Database, digest: string, handler: string): Promise<void> {
  await db.raw(
    `UPDATE transaction_processing_log SET status = 'completed', handler = ?, error_message = NULL, finished_at = now(), updated_at = now() WHERE tx_digest = ?`,
    [handler, digest],
  )
}

/** A retry is scheduled: the error is kept until the next outcome. */
export async function markRetrying(db: Database, digest: string, error: string): Promise<void> {
  await db.raw(`UPDATE transaction_processing_log SET status = 'pending', error_message = ?, finished_at = now(), updated_at = now() WHERE tx_digest = ?`, [error, digest])
}

export async function markFailed(db: Database, digest: string, error: string): Promise<void> {
  await db.raw(`UPDATE transaction_processing_log SET status = 'failed', error_message = ?, finished_at = now(), updated_at = now() WHERE tx_digest = ?`, [error, digest])
}

export async function failedDigests(db: Database): Promise<string[]> {
  const rows: {tx_digest: string}[] = await db('transaction_processing_log').select('tx_digest').where({status: 'failed'}).orderBy('id')
  return rows.map((r) => r.tx_digest)
}

/** Gives failed digests a fresh set of attempts and stalls; returns the digests reset. */
export async function resetFailed(db: Database, digests: readonly string[]): Promise<string[]> {
  if (digests.length === 0) return []
  const rows: {tx_digest: string}[] = await db('transaction_processing_log')
    .whereIn('tx_digest', digests)
    .whereIn('status', ['failed', 'pending'])
    .update({status: 'pending', attempts: 0, stalls: 0, updated_at: db.fn.now()})
    .returning('tx_digest')
  return rows.map((r) => r.tx_digest)
}
