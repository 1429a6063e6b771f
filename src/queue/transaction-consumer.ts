// The process-transaction queue's consumer side: the workers take jobs through it, many at a time
// (job-intake.ts), hand them to a batch handler, and say through JobControl whether a failed one
// runs again (transaction-queue.ts is the side that creates them).
import {JobIntake, type IntakeJob, type JobEnding} from './job-intake.ts'
import type {QueueOptions} from './queue-base.ts'
import {QueueConsumer} from './queue-consumer.ts'
import {PROCESS_TRANSACTION, type ProcessTransactionJob} from './transaction-queue.ts'
import {withTimeout} from '../support/with-timeout.ts'

/** What a job's handler tells the queue about its failure, before it answers. */
export interface JobControl {
  /** Run the job again after `delayMs` (0: at once). */
  retryIn(delayMs: number): void
  /** Do not run it again: it goes to the failed set, where `requeue` finds it. */
  noRetry(): void
}

/** A job handed to the batch handler. */
export interface TakenJob {
  readonly digest: string
  readonly control: JobControl
  /** When the job was created (bee-queue's options.timestamp, Unix ms), for its duration. */
  readonly createdAtMs: number | undefined
}

/** Per job of the batch, in its order: undefined when it succeeded, the error it failed with otherwise. */
export type BatchErrors = readonly unknown[]

export interface ConsumeLimits {
  /** Jobs held at once, across the batches running. */
  readonly concurrency: number
  /** Batches running at once (at most `concurrency`); each takes up to its share of `concurrency`. */
  readonly parallel: number
}

export class TransactionConsumer extends QueueConsumer<ProcessTransactionJob> {
  private intake: JobIntake | undefined
  private loops: Promise<void>[] = []

  constructor(options: QueueOptions) {
    // Retry backoff delays jobs; some worker has to bring them back.
    super(PROCESS_TRANSACTION, options, {activateDelayedJobs: true})
  }

  /**
   * Runs `handler` on batches of jobs taken together, `limits.parallel` batches at once, until
   * closed. Retries are decided by the handler through each job's `control` when it fails, not
   * fixed when the job is created: jobs come from the poller, the outbox and --retry-failed, and
   * the worker owns the retry policy (its attempt count lives in PostgreSQL, which outlives Redis).
   * A failed job whose handler said nothing is failed for good.
   */
  consume(limits: ConsumeLimits, handler: (jobs: TakenJob[]) => Promise<BatchErrors>): void {
    if (this.intake) throw new Error('consume() was called twice')
    const intake = new JobIntake({
      queue: this.internals,
      stallIntervalMs: this.stallIntervalMs,
      onError: (error) => this.queue.emit('error', error),
    })
    this.intake = intake
    intake.start()
    this.loops = sharesOf(limits).map((share) => this.batchLoop(intake, share, handler))
  }

  /** Takes no new job, lets the batches running finish within `timeoutMs`, then closes the queue. */
  override async close(timeoutMs = 5_000): Promise<void> {
    const started = performance.now()
    await withTimeout(Promise.all([this.intake?.stop(), ...this.loops]), timeoutMs, 'the running batches did not finish').catch(() => undefined)
    this.intake?.end()
    await super.close(Math.max(1, Math.round(timeoutMs - (performance.now() - started))))
  }

  private async batchLoop(intake: JobIntake, most: number, handler: (jobs: TakenJob[]) => Promise<BatchErrors>): Promise<void> {
    for (;;) {
      const taken = await intake.take(most)
      if (taken.length === 0) return
      const retries: RetryDecision[] = taken.map(() => ({}))
      const jobs = taken.map((job, i) => jobOf(job, retries[i]!))
      const errors = await handler(jobs).catch((error: unknown) => jobs.map(() => error))
      const endings = taken.map((job, i) => ({job, ending: endingOf(errors[i], retries[i]!)}))
      // Not finished in Redis: the jobs stay in `active` and the stall check puts them back.
      await intake.finish(endings).catch((error: unknown) => this.queue.emit('error', error))
    }
  }
}

/** Each batch loop's most jobs at once: `concurrency` split as evenly as it goes, no loop without one. */
function sharesOf({concurrency, parallel}: ConsumeLimits): number[] {
  const loops = Math.max(1, Math.min(parallel, concurrency))
  return Array.from({length: loops}, (_, i) => Math.floor(concurrency / loops) + (i < concurrency % loops ? 1 : 0))
}

/** What a job's control was told: run again after `inMs`, or (none) not again. */
interface RetryDecision {
  inMs?: number | undefined
}

function jobOf(job: IntakeJob, retry: RetryDecision): TakenJob {
  const control: JobControl = {
    retryIn(delayMs) {
      retry.inMs = delayMs
    },
    noRetry() {
      retry.inMs = undefined
    },
  }
  const data = job.data as Partial<ProcessTransactionJob> | undefined
  return {digest: data?.digest ?? job.id, control, createdAtMs: job.createdAtMs}
}

/** A job's ending: done when it has no error, else what its handler decided (failed when it said nothing). */
function endingOf(error: unknown, retry: RetryDecision): JobEnding {
  if (error === undefined) return {kind: 'done'}
  if (retry.inMs !== undefined) return {kind: 'again', delayMs: retry.inMs, error}
  return {kind: 'failed', error}
}
