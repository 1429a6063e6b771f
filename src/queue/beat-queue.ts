// The beat queue (bee-queue `beat`, beside `process-transaction` under the same `<prefix>bq:`):
// `confio beat` creates one job per scheduled run, the workers run several at once (a lane per
// task: src/beat/beat-worker.ts). bee-queue has no repeating jobs; each run is a job of its own
// named by its task and slot, `<task>:<slot start ISO>`, so creating it again while it exists is a
// no-op and two beats can never queue one run twice. beat_runs (src/beat/beat-runs.ts) records every run as well.
//
// A beat job is never retried by bee-queue: its handler records the outcome itself and returns;
// the task runs again at its next slot.
import BeeQueue from 'bee-queue'
import type {Logger} from '../logging/logger.ts'
import {withTimeout} from '../support/with-timeout.ts'
import {type BeeQueueConnections, beeQueueConnections} from './bee-queue-redis.ts'
import {confioQueueSettings} from './transaction-queue.ts'

export const BEAT_QUEUE = 'beat'

/** What a beat job carries: which task, which slot, and the task's settings from the beat's flags. */
export interface BeatJob {
  readonly task: string
  /** ISO 8601, UTC. */
  readonly slotStart: string
  readonly params: Readonly<Record<string, number>>
}

export interface BeatQueueOptions {
  readonly redisUrl: string
  /** confio's REDIS_PREFIX; bee-queue's keys go under `<prefix>bq:`. */
  readonly redisPrefix: string
  /** Workers take jobs; the beat only creates them. */
  readonly isWorker?: boolean
  /** As TransactionQueueOptions.stallIntervalMs: a job whose worker died is redelivered after it. */
  readonly stallIntervalMs?: number
  /** How long a Redis call may take. Default 2 s. */
  readonly timeoutMs?: number
  /** Where Redis going away and coming back is said (bee-queue-redis.ts); none: silent. */
  readonly logger?: Logger
}

export interface BeatQueueCounts {
  readonly waiting: number
  readonly active: number
  readonly delayed: number
}

export function beatJobId(task: string, slotStart: Date): string {
  return `${task}:${slotStart.toISOString()}`
}

export class BeatQueue {
  readonly queue: BeeQueue<BeatJob>
  readonly stallIntervalMs: number
  private readonly timeoutMs: number
  private readonly connections: BeeQueueConnections

  constructor(options: BeatQueueOptions) {
    this.stallIntervalMs = options.stallIntervalMs ?? 5_000
    this.timeoutMs = options.timeoutMs ?? 2_000
    this.connections = beeQueueConnections(options.redisUrl, options.logger)
    this.queue = new BeeQueue<BeatJob>(BEAT_QUEUE, {
      ...confioQueueSettings(options, this.connections),
      // The outcome is in beat_runs; a job that failed in bee-queue's eyes (its run could not even
      // be recorded) is put back by the beat's sweep while its slot is current.
      removeOnFailure: true,
      activateDelayedJobs: false,
      stallInterval: this.stallIntervalMs,
    })
    this.queue.on('error', () => undefined)
    // bee-queue connects at once; a connection that fails before anyone awaits ready() would be an
    // unhandled rejection (the process would die). ready() still rejects for whoever awaits it.
    this.queue.ready().catch(() => undefined)
  }

  async ready(): Promise<void> {
    await this.queue.ready()
  }

  /** Creates the job (id = beatJobId); false when a job of that id already exists. */
  async enqueue(job: BeatJob): Promise<boolean> {
    const id = beatJobId(job.task, new Date(job.slotStart))
    const saved = await withTimeout(this.queue.createJob(job).setId(id).save(), this.timeoutMs, 'Redis did not answer')
    // bee-queue's addJob script answers nil (the id becomes null) for an id that exists.
    return saved.id === id
  }

  async has(jobId: string): Promise<boolean> {
    return Boolean(await withTimeout(this.queue.getJob(jobId), this.timeoutMs, 'Redis did not answer'))
  }

  /** Ids of the jobs waiting to run, oldest first. */
  async waitingIds(): Promise<string[]> {
    const jobs = await withTimeout(this.queue.getJobs('waiting', {start: 0, end: 999}), this.timeoutMs, 'Redis did not answer')
    return jobs.map((job) => job.id).reverse()
  }

  /** Runs `handler` for each job, up to `concurrency` at once (workers only). A handler that throws fails the job with no retry. */
  consume<T>(concurrency: number, handler: (job: BeatJob) => Promise<T>): void {
    this.queue.process(concurrency, (job) => handler(job.data))
  }

  /** Puts jobs of dead workers back in the waiting list, now and every half stall interval. */
  startStallChecks(): void {
    void this.queue.checkStalledJobs(Math.max(1, Math.floor(this.stallIntervalMs / 2))).catch(() => undefined)
  }

  onError(listener: (error: Error) => void): void {
    this.queue.on('error', listener)
  }

  async counts(): Promise<BeatQueueCounts> {
    const health = await withTimeout(this.queue.checkHealth(), this.timeoutMs * 5, 'Redis did not answer')
    return {waiting: health.waiting, active: health.active, delayed: health.delayed}
  }

  /** Stops taking jobs and waits up to `timeoutMs` for the one running. */
  async close(timeoutMs = 5_000): Promise<void> {
    await this.queue.close(timeoutMs).catch(() => undefined)
    this.connections.end()
  }
}
