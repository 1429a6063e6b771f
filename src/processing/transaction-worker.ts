// A worker process's loop: takes process-transaction jobs from the queue, up to `concurrency` held
// at once, until stopped or, with drain, until there is nothing left to do. The jobs waiting
// together are taken as one batch (the queue's intake: job-intake.ts), up to parallelBatches
// batches at once, each one database transaction (process-transaction-batch.ts). Stopping
// (SIGTERM) takes no new job and lets the ones running finish; a job cut off anyway is found
// stalled and redone.
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {TransactionConsumer} from '../queue/transaction-consumer.ts'
import {PROCESS_TRANSACTION} from '../queue/transaction-queue.ts'
import {pause} from '../support/pause.ts'
import {JobFailure, type JobOutcome, type ProcessTransactionBatch} from './process-transaction-batch.ts'
import type {JobMetrics} from '../queue/job-metrics.ts'
import type {WorkerProgress} from './worker-progress.ts'

export interface TransactionWorkerOptions {
  readonly queue: TransactionConsumer
  readonly processor: ProcessTransactionBatch
  /** Jobs taken from the queue at once; they are processed in batches of those waiting. */
  readonly concurrency: number
  /** Batches in PostgreSQL at once (each holds one connection). */
  readonly parallelBatches: number
  /** Exit once the queue is empty (nothing waiting, delayed or running anywhere) and nothing is in flight here. */
  readonly drain: boolean
  readonly logger: Logger
  /** How long a stop may wait for running jobs. */
  readonly stopGraceMs: number
  /** How often drain mode looks at the queue. */
  readonly drainPollMs?: number
  /** How often a progress line is logged while jobs are being done. Default 10 s. */
  readonly progressIntervalMs?: number
  /** Told of every job done, for `confio status` (worker-progress.ts). */
  readonly progress?: WorkerProgress
  /** Told how each job ended, for /metrics. */
  readonly metrics?: JobMetrics | undefined
}

export interface WorkerResult {
  readonly stoppedBy: 'drained' | 'signal'
  /** Jobs whose effects this worker committed. */
  readonly completed: number
  /** Re-deliveries of finished jobs: no effect written again (so nothing for the cache either); only the log row says `completed`. */
  readonly alreadyProcessed: number
  readonly retrying: number
  readonly failed: number
  /** Jobs of dead workers this worker's stall checks put back in the queue. */
  readonly stalledRequeued: number
  readonly unhandled: number
  readonly accountTransactions: number
  readonly contractEvents: number
  /** Batches the jobs were handed on in, one database transaction each; a job that then ran alone took one more, not counted here. */
  readonly batches: number
  /** From start until the last job finished. */
  readonly durationMs: number
  readonly jobsPerSecond: number
}

export class TransactionWorker {
  private readonly options: TransactionWorkerOptions
  private inFlight = 0
  private readonly counts = {completed: 0, alreadyProcessed: 0, retrying: 0, failed: 0, stalledRequeued: 0, unhandled: 0, accountTransactions: 0, contractEvents: 0, batches: 0}
  private lastFinished = 0

  constructor(options: TransactionWorkerOptions) {
    this.options = options
  }

  async run(signal: AbortSignal): Promise<WorkerResult> {
    const {queue, processor, concurrency, parallelBatches, logger} = this.options
    await queue.ready()
    const started = performance.now()
    this.lastFinished = started
    queue.onError((error) => logger.warn({err: error.message}, 'queue error'))
    queue.onStalled((digest) => {
      this.counts.stalledRequeued += 1
      logger.warn({digest}, 'job of a stopped worker put back in the queue')
    })
    queue.consume({concurrency, parallel: parallelBatches}, async (jobs) => {
      this.inFlight += jobs.length
      this.counts.batches += 1
      try {
        const outcomes = await processor.run(jobs).catch((error: unknown) => jobs.map(() => (error instanceof Error ? error : new Error(messageOf(error)))))
        return outcomes.map((outcome, i) => this.count(outcome, jobs[i]!.createdAtMs))
      } finally {
        this.inFlight -= jobs.length
        this.lastFinished = performance.now()
      }
    })
    queue.startStallChecks()
    logger.info({concurrency, parallelBatches, drain: this.options.drain, stallIntervalMs: queue.stallIntervalMs}, 'worker started')

    const progress = this.reportProgress()
    this.options.progress?.start()
    const stoppedBy = await this.waitForEnd(signal)
    clearInterval(progress)
    await queue.close(this.options.stopGraceMs)
    await this.options.progress?.stop()
    const durationMs = Math.max(0, (stoppedBy === 'drained' ? this.lastFinished : performance.now()) - started)
    const done = this.counts.completed + this.counts.alreadyProcessed
    const result = {stoppedBy, ...this.counts, durationMs: Math.round(durationMs), jobsPerSecond: durationMs > 0 ? Math.round((done * 1000) / durationMs) : 0}
    logger.info(result, 'worker stopped')
    return result
  }

  /** Counts how a job ended; answers its error, or undefined when it was done. */
  private count(outcome: JobOutcome | Error, createdAtMs: number | undefined): Error | undefined {
    const {metrics} = this.options
    if (outcome instanceof Error) {
      const retried = outcome instanceof JobFailure && outcome.retryInMs !== undefined
      if (retried) this.counts.retrying += 1
      else this.counts.failed += 1
      metrics?.ended(PROCESS_TRANSACTION, retried ? 'retried' : 'failed', createdAtMs)
      return outcome
    }
    if (outcome.status === 'completed') this.counts.completed += 1
    else this.counts.alreadyProcessed += 1
    metrics?.ended(PROCESS_TRANSACTION, 'processed', createdAtMs)
    this.options.progress?.note()
    if (outcome.unhandled.length > 0) this.counts.unhandled += 1
    this.counts.accountTransactions += outcome.accountTransactions
    this.counts.contractEvents += outcome.contractEvents
    return undefined
  }

  /** A line every interval in which jobs were done: what a long backlog run or a daemon is up to. */
  private reportProgress(): NodeJS.Timeout {
    const intervalMs = this.options.progressIntervalMs ?? 10_000
    let last = {done: 0, at: performance.now()}
    return setInterval(() => {
      const {completed, alreadyProcessed, retrying, failed, batches} = this.counts
      const done = completed + alreadyProcessed + retrying + failed
      if (done === last.done) return
      const now = performance.now()
      const jobsPerSecond = Math.round(((done - last.done) * 1000) / (now - last.at))
      last = {done, at: now}
      this.options.logger.info({completed, alreadyProcessed, retrying, failed, batches, inFlight: this.inFlight, jobsPerSecond}, 'worker progress')
    }, intervalMs).unref()
  }

  private async waitForEnd(signal: AbortSignal): Promise<'drained' | 'signal'> {
    const pollMs = this.options.drainPollMs ?? 100
    while (!signal.aborted) {
      await pause(pollMs, signal)
      if (!this.options.drain || signal.aborted) continue
      // brpoplpush moves a job from waiting to active atomically and a finished job leaves active
      // only after its handler returned, so one look that finds all of these empty is enough.
      const counts = await this.options.queue.counts().catch(() => undefined)
      if (counts && this.inFlight === 0 && counts.waiting === 0 && counts.active === 0 && counts.delayed === 0) return 'drained'
    }
    return 'signal'
  }
}

