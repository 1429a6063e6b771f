// Queues a job per newly stored transaction, after the commit that stored them. A failure here
// loses nothing: the rows are committed, and the outbox (src/queue/outbox.ts) queues what has no job.
import type {Logger} from '../logging/logger.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {markQueued} from '../store/raw-event-repository.ts'

export async function queueStored(db: Database, queue: TransactionQueue, digests: readonly string[], logger?: Logger): Promise<{queued: number; failed: number}> {
  if (digests.length === 0) return {queued: 0, failed: 0}
  const result = await queue.enqueue([...digests])
  try {
    await markQueued(db, result.queued)
  } catch (error) {
    // The jobs exist; the outbox will only find them present and leave them be.
    logger?.warn({err: (error as Error).message}, 'could not record queued_at')
  }
  if (result.failed.length > 0) {
    logger?.error({failed: result.failed.length, first: result.failed[0]?.error}, 'could not queue transactions; the outbox will retry')
  }
  return {queued: result.queued.length, failed: result.failed.length}
}
