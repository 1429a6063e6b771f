// The process-transaction queue (bee-queue on Redis) between the poller and the workers. Each
// job is named by its transaction digest, so creating it twice while it exists is a no-op. Redis
// here keeps nothing on disk: raw_blockchain_events is the source of truth, and the outbox
// (outbox.ts) re-creates any job Redis lost. This is its producer side (the poller, backfill, the
// outbox, --retry-failed); the workers take jobs through transaction-consumer.ts.
import {messageOf} from '../errors.ts'
import {inChunks} from '../support/chunks.ts'
import {withTimeout} from '../support/with-timeout.ts'
import {QueueBase, type QueueOptions, runQueueScript} from './queue-base.ts'

export const PROCESS_TRANSACTION = 'process-transaction'

export interface ProcessTransactionJob {
  readonly digest: string
}

export interface RequeueResult {
  /** Failed jobs moved back to the waiting list. */
  readonly retried: string[]
  /** Digests that had no job: created anew. */
  readonly created: string[]
  /** Jobs that exist and are not failed (waiting, delayed or running): left alone. */
  readonly present: string[]
  readonly failed: {digest: string; error: string}[]
}

export interface EnqueueResult {
  readonly queued: string[]
  readonly failed: {digest: string; error: string}[]
}

/** Jobs per script run: a script runs alone in Redis, so each stays around a millisecond. */
const JOBS_PER_SCRIPT = 1_000

/**
 * bee-queue 2.0.0's addJob (lib/lua/addJob.lua) for each (id, data) pair of ARGV: the job's data
 * in the jobs hash and its id pushed on the waiting list, unless a job of that id exists.
 * KEYS: the jobs hash, the waiting list.
 */
const ADD_JOBS = `for i = 1, #ARGV, 2 do
  if redis.call("hsetnx", KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then redis.call("lpush", KEYS[2], ARGV[i]) end
end`

/** Of the job ids in ARGV, those with no job in the jobs hash (KEYS[1]), in their order. */
const MISSING_JOBS = `local missing = {}
for i = 1, #ARGV do
  if redis.call("hexists", KEYS[1], ARGV[i]) == 0 then missing[#missing + 1] = ARGV[i] end
end
return missing`

/** The producer side: creates jobs and looks them up; it cannot take them (TransactionConsumer does). */
export class TransactionQueue extends QueueBase<ProcessTransactionJob> {
  constructor(options: QueueOptions) {
    super(PROCESS_TRANSACTION, options, {isWorker: false, activateDelayedJobs: false})
  }

  /**
   * Creates one job per digest (id = digest), JOBS_PER_SCRIPT to a script run. bee-queue's own
   * saveAll runs its addJob script once per job, and the poller spent 11-15 µs of CPU on each
   * (the Redis client's per-command work; bench:queue); ADD_JOBS does the same for many, in one
   * call. A job that exists is left as it is, as addJob leaves it.
   */
  async enqueue(digests: readonly string[]): Promise<EnqueueResult> {
    if (digests.length === 0) return {queued: [], failed: []}
    const chunks = inChunks(digests, JOBS_PER_SCRIPT)
    // While Redis is down its client holds commands until it reconnects; the poller must not
    // stall behind that. A job saved after the timeout is harmless: the outbox finds it present.
    const outcomes = await withTimeout(Promise.allSettled(chunks.map((chunk) => this.addJobs(chunk))), this.timeoutMs, 'Redis did not answer').catch(
      (error: Error) => chunks.map(() => ({status: 'rejected', reason: error}) as const),
    )
    const queued: string[] = []
    const failed: {digest: string; error: string}[] = []
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') queued.push(...chunks[i]!)
      else for (const digest of chunks[i]!) failed.push({digest, error: messageOf(outcome.reason)})
    })
    return {queued, failed}
  }

  private async addJobs(digests: readonly string[]): Promise<void> {
    const args: string[] = []
    // The job's stored form is bee-queue's own (Job#toData), so its workers read it as their own.
    for (const digest of digests) args.push(digest, (this.queue.createJob({digest}) as unknown as {toData(): string}).toData())
    await runQueueScript(this.internals, ADD_JOBS, ['jobs', 'waiting'], args)
  }

  /** The digests among these that have no job in Redis (never created, finished, or lost). */
  async missing(digests: readonly string[]): Promise<string[]> {
    // A script run per JOBS_PER_SCRIPT digests, not bee-queue's getJob (a round of parsing per
    // job): the outbox asks this of every unprocessed event, tens of thousands when the workers lag.
    const chunks = inChunks(digests, JOBS_PER_SCRIPT)
    const missing = await withTimeout(Promise.all(chunks.map((chunk) => runQueueScript(this.internals, MISSING_JOBS, ['jobs'], chunk))), this.timeoutMs * 5, 'Redis did not answer')
    return (missing as string[][]).flat()
  }

  /** Digests of the jobs in the failed set. */
  async failedDigests(): Promise<string[]> {
    const {failed} = await this.counts()
    if (failed === 0) return []
    const jobs = await this.queue.getJobs('failed', {size: failed})
    return jobs.map((job) => job.id)
  }

  /** Puts these digests back in the queue: failed jobs are retried, missing ones created. */
  async requeue(digests: readonly string[]): Promise<RequeueResult> {
    const retried: string[] = []
    const present: string[] = []
    const missing: string[] = []
    for (const digest of digests) {
      const job = await this.queue.getJob(digest)
      if (!job) missing.push(digest)
      else if (job.status === 'failed') {
        // Job#retry (SREM failed, LPUSH waiting) exists in bee-queue 2.0.0 but not in its typings.
        await (job as typeof job & {retry(): Promise<unknown>}).retry()
        retried.push(digest)
      } else present.push(digest)
    }
    const {queued, failed} = await this.enqueue(missing)
    return {retried, created: queued, present, failed}
  }
}
