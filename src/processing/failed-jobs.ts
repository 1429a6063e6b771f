// confio worker --retry-failed: puts failed transactions back in the queue with a fresh set of
// attempts and stalls. Failed means failed in transaction_processing_log (the record operators
// read) or in bee-queue's failed set (in case the log could not be written at the time).
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {failedDigests, resetFailed} from '../store/processing-log.ts'

export interface RetryFailedResult {
  readonly found: number
  /** Failed jobs moved back to waiting. */
  readonly retried: number
  /** Failed transactions whose job Redis no longer had: created again. */
  readonly created: number
  /** Already queued or running: left alone. */
  readonly present: number
  readonly errors: {digest: string; error: string}[]
}

export async function retryFailed(db: Database, queue: TransactionQueue): Promise<RetryFailedResult> {
  const digests = [...new Set([...(await failedDigests(db)), ...(await queue.failedDigests())])]
  // The log first: a job that runs before its reset would count the old attempts.
  await resetFailed(db, digests)
  const result = await queue.requeue(digests)
  return {found: digests.length, retried: result.retried.length, created: result.created.length, present: result.present.length, errors: result.failed}
}
