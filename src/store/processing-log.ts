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

/**
 * A retry is scheduled: the error is kept until the next outcome. Fenced like markFailed; false
 * when the row is not this worker's to change.
 */
export async function markRetrying(db: Database, digest: string, error: string, worker: string): Promise<boolean> {
  return markOutcome(db, digest, 'pending', error, worker)
}

/**
 * Fenced: only a row still `processing` under a claim of this worker (`<host>:<pid>`, any of its
 * runs) changes. A worker that wakes after a long pause must not turn a job another run has
 * claimed, retried or completed back to pending or failed.
 */
export async function markFailed(db: Database, digest: string, error: string, worker: string): Promise<boolean> {
  return markOutcome(db, digest, 'failed', error, worker)
}

async function markOutcome(db: Database, digest: string, status: 'pending' | 'failed', error: string, worker: string): Promise<boolean> {
  const claimPrefix = `${worker}:`
  const {rowCount} = await db.raw(
    `UPDATE transaction_processing_log SET status = ?, error_message = ?, finished_at = now(), updated_at = now()
     WHERE tx_digest = ? AND status = 'processing' AND left(coalesce(claimed_by, ''), ?) = ?`,
    [status, error, digest, claimPrefix.length, claimPrefix],
  )
  return (rowCount ?? 0) > 0
}

/** A page of failed digests after log id `afterId`, in id order, with the last id for the next page. */
export async function failedDigests(db: Database, page: {afterId: string; limit: number}): Promise<{digests: string[]; lastId: string | undefined}> {
  const rows: {id: string; tx_digest: string}[] = await db('transaction_processing_log')
    .select('id', 'tx_digest')
    .where({status: 'failed'})
    .where('id', '>', page.afterId)
    .orderBy('id')
    .limit(page.limit)
  return {digests: rows.map((r) => r.tx_digest), lastId: rows.at(-1)?.id}
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
