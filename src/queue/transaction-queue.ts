// The process-transaction queue (bee-queue on Redis) between the poller and the workers. Each
// job is named by its transaction digest, so creating it twice while it exists is a no-op. Redis
// here keeps nothing on disk: raw_blockchain_events is the source of truth, and the outbox
// (outbox.ts) re-creates any job Redis lost.
import BeeQueue from 'bee-queue'

export const PROCESS_TRANSACTION = 'process-transaction'

export interface ProcessTransactionJob {
  readonly digest: string
}

export interface TransactionQueueOptions {
  readonly redisUrl: string
  /** confio's REDIS_PREFIX; bee-queue's keys go under `<prefix>bq:`. */
  readonly redisPrefix: string
  /** Workers take jobs; the poller only creates them. */
  readonly isWorker?: boolean
  /** How long creating jobs may take before they count as failed. */
  readonly timeoutMs?: number
}

export interface EnqueueResult {
  readonly queued: string[]
  readonly failed: {digest: string; error: string}[]
}

export class TransactionQueue {
  readonly queue: BeeQueue<ProcessTransactionJob>
  private readonly timeoutMs: number

  constructor(options: TransactionQueueOptions) {
    this.timeoutMs = options.timeoutMs ?? 2_000
    this.queue = new BeeQueue<ProcessTransactionJob>(PROCESS_TRANSACTION, {
      prefix: `${options.redisPrefix}bq`,
      redis: {url: options.redisUrl},
      isWorker: options.isWorker ?? false,
      getEvents: false,
      sendEvents: false,
      // bee-queue would keep every job it touched in a Map (for events confio does not use).
      storeJobs: false,
      removeOnSuccess: true,
      // Retry backoff delays jobs; some worker has to bring them back.
      activateDelayedJobs: options.isWorker ?? false,
    })
    // Connection errors surface as rejected calls; without a listener they would also be thrown.
    this.queue.on('error', () => undefined)
  }

  async ready(): Promise<void> {
    await this.queue.ready()
  }

  /** Creates one job per digest (id = digest), pipelined. */
  async enqueue(digests: readonly string[]): Promise<EnqueueResult> {
    if (digests.length === 0) return {queued: [], failed: []}
    const jobs = digests.map((digest) => this.queue.createJob({digest}).setId(digest))
    let errors: Map<BeeQueue.Job<ProcessTransactionJob>, Error>
    try {
      // While Redis is down its client holds commands until it reconnects; the poller must not
      // stall behind that. A job saved after the timeout is harmless: the outbox finds it present.
      errors = await withTimeout(this.queue.saveAll(jobs), this.timeoutMs, 'Redis did not answer')
    } catch (error) {
      return {queued: [], failed: digests.map((digest) => ({digest, error: (error as Error).message}))}
    }
    const failed = [...errors].map(([job, error]) => ({digest: job.id, error: error.message}))
    const failedSet = new Set(failed.map((f) => f.digest))
    return {queued: digests.filter((d) => !failedSet.has(d)), failed}
  }

  /** The digests among these that have no job in Redis (never created, finished, or lost). */
  async missing(digests: readonly string[]): Promise<string[]> {
    const found = await withTimeout(Promise.all(digests.map((digest) => this.queue.getJob(digest))), this.timeoutMs * 5, 'Redis did not answer')
    return digests.filter((_, i) => !found[i])
  }

  async close(): Promise<void> {
    await this.queue.close(5_000).catch(() => undefined)
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
