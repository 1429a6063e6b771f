// Queues a job per newly stored transaction, after the commit that stored them. A failure here
// loses nothing: the rows are committed, and the outbox (src/queue/outbox.ts) queues what has no job.
import type {Logger} from '../logging/logger.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'

export async function queueStored(queue: TransactionQueue, digests: readonly string[], logger?: Logger): Promise<{queued: number; failed: number}> {
  const result = await queue.enqueue(digests)
  if (result.failed.length > 0) {
    logger?.error({failed: result.failed.length, first: result.failed[0]?.error}, 'could not queue transactions; the outbox will retry')
  }
  return {queued: result.queued.length, failed: result.failed.length}
}
