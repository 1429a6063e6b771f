// The process-transaction queue's consumer side: the workers take jobs through it, a digest at a
// time, and say through JobControl whether a failed one runs again (transaction-queue.ts is the
// side that creates them).
import type {QueueOptions} from './queue-base.ts'
import {QueueConsumer} from './queue-consumer.ts'
import {PROCESS_TRANSACTION, type ProcessTransactionJob} from './transaction-queue.ts'

/** What a job's handler tells the queue about its failure, before it throws. */
export interface JobControl {
  /** Run the job again after `delayMs` (0: at once). */
  retryIn(delayMs: number): void
  /** Do not run it again: it goes to the failed set, where `requeue` finds it. */
  noRetry(): void
}

export class TransactionConsumer extends QueueConsumer<ProcessTransactionJob> {
  constructor(options: QueueOptions) {
    // Retry backoff delays jobs; some worker has to bring them back.
    super(PROCESS_TRANSACTION, options, {activateDelayedJobs: true})
  }

  /**
   * Runs `handler` for each job, `concurrency` at a time. Retries are decided by the handler
   * through `control` on each failure, not fixed when the job is created: jobs come from the
   * poller, the outbox and --retry-failed, and the worker owns the retry policy (its attempt count
   * lives in PostgreSQL, which outlives Redis). bee-queue reads the job's options.retries and
   * backoff only when the handler's promise settles, on this same object. That is bee-queue
   * 2.0.0's behaviour, not its documented API: package.json pins that version, and the worker's
   * retry test (test/processing/worker-failures.test.ts) fails if it changes. `createdAtMs` is
   * when the job was created (bee-queue's options.timestamp, Unix ms), for the job's duration.
   */
  consume<T>(concurrency: number, handler: (digest: string, control: JobControl, createdAtMs: number | undefined) => Promise<T>): void {
    this.queue.process(concurrency, (job) => {
      const options = job.options as {retries?: number; backoff?: {strategy: string; delay?: number}; timestamp?: number}
      const control: JobControl = {
        retryIn(delayMs) {
          options.retries = 1
          options.backoff = delayMs > 0 ? {strategy: 'fixed', delay: Math.round(delayMs)} : {strategy: 'immediate'}
        },
        noRetry() {
          options.retries = 0
        },
      }
      return handler(job.data?.digest ?? job.id, control, options.timestamp)
    })
  }
}
