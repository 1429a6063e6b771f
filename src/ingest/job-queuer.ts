// The poller's queue stage: a job per transaction a commit stored, queued once the rows are
// committed. Beside the next commits, not before them: Redis that stops answering holds up neither
// the cursor nor the next store, and a crash in between loses no job (the outbox queues what has
// none).
//
// Contract. Takes committed batches, in commit order, and queues the jobs of all it takes at once
// in one call (queueStored). It never fails: what it could not queue is logged, counted in
// confio_poll_enqueue_failures_total and left to the outbox (src/queue/outbox.ts), never retried
// inline. It ends once its input is closed (or failed) and drained, so every batch committed
// before the poller stops has its jobs queued. Its log lines carry `step: queue`.
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {BoundedChannel} from './bounded-channel.ts'
import type {StoredBatch} from './checkpoint-committer.ts'
import type {PollerMetrics} from './poller-metrics.ts'
import {queueStored} from './stored-jobs.ts'

// Committed batches whose jobs are queued in one call at most: what piled up while Redis was slow.
const QUEUE_AT_ONCE = 100

export interface JobQueuerOptions {
  readonly queue: TransactionQueue
  readonly metrics?: Pick<PollerMetrics, 'enqueueFailed'> | undefined
  readonly logger: Logger
}

export class JobQueuer {
  readonly name = 'queue'
  readonly #queue: TransactionQueue
  readonly #metrics: Pick<PollerMetrics, 'enqueueFailed'> | undefined
  readonly #logger: Logger

  constructor(options: JobQueuerOptions) {
    this.#queue = options.queue
    this.#metrics = options.metrics
    this.#logger = options.logger.child({step: this.name})
  }

  async run(input: BoundedChannel<StoredBatch>): Promise<void> {
    for (;;) {
      // A failed input (the commit stage stopped on an error) has nothing more to queue.
      const batches = await input.take(QUEUE_AT_ONCE).catch(() => undefined)
      if (!batches) return
      await this.#queueJobs(batches)
    }
  }

  async #queueJobs(batches: readonly StoredBatch[]): Promise<void> {
    try {
      const {failed} = await queueStored(this.#queue, batches.flatMap((batch) => batch.inserted), this.#logger)
      if (failed > 0) this.#metrics?.enqueueFailed(failed)
    } catch (error) {
      const first = batches[0]!.first.toString()
      const last = batches[batches.length - 1]!.last.toString()
      this.#logger.error({err: messageOf(error), first, last}, 'could not queue a committed batch; the outbox will')
    }
  }
}
