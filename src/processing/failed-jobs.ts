// confio worker --retry-failed: puts failed transactions back in the queue with a fresh set of
// attempts and stalls. Failed means failed in transaction_processing_log (the record operators
// read) or in bee-queue's failed set (in case the log could not be written at the time).
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {failedDigests, resetFailed} from './processing-log.ts'

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

/** Failed transactions are requeued this many at a time, so a large backlog never sits in one list. */
const RETRY_PAGE = 1_000

export async function retryFailed(db: Database, queue: TransactionQueue): Promise<RetryFailedResult> {
  const total = {found: 0, retried: 0, created: 0, present: 0, errors: [] as RetryFailedResult['errors']}
  const seen = new Set<string>()
  const retry = async (digests: string[]) => {
    const fresh = digests.filter((d) => !seen.has(d))
    for (const d of fresh) seen.add(d)
    if (fresh.length === 0) return
    // The log first: a job that runs before its reset would count the old attempts.
    await resetFailed(db, fresh)
    const result = await queue.requeue(fresh)
    total.found += fresh.length
    total.retried += result.retried.length
    total.created += result.created.length
    total.present += result.present.length
    total.errors.push(...result.failed)
  }
  for (let afterId = '0'; ; ) {
    const page = await failedDigests(db, {afterId, limit: RETRY_PAGE})
    if (page.lastId === undefined) break
    await retry(page.digests)
    afterId = page.lastId
  }
  // Failed in bee-queue's eyes only (the log could not be written at the time).
  const queueFailed = await queue.failedDigests()
  for (let i = 0; i < queueFailed.length; i += RETRY_PAGE) await retry(queueFailed.slice(i, i + RETRY_PAGE))
  return total
}
