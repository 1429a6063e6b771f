// A worker as `confio worker` and `confio run` assemble it: the transaction job loop, the beat job
// loop (a lane per task), and the relay that sends its balance changes to Redis; they run and
// stop together (run-together.ts), and the relay sends what they left before the worker returns.
// With WEBHOOK_URL set, the webhook sender runs beside them (src/webhooks/webhook-sender.ts): on
// its own, so a slow or failing receiver never holds up or fails a job, and stopped last.
// With a metrics server: jobs by kind and their durations, balance reads, and its own chain's calls.
import type {Redis} from 'ioredis'
import {BalanceService} from '../balances/balance-service.ts'
import {CacheGeneration} from '../balances/cache-generation.ts'
import {CacheOutboxRelay} from '../balances/cache-outbox-relay.ts'
import {RedisBalanceStore} from '../balances/redis-balance-store.ts'
import {BEAT_TASKS, BeatTaskRunner} from '../beat/beat-tasks.ts'
import {BeatWorker, type BeatWorkerResult} from '../beat/beat-worker.ts'
import {type ChainReader, openChainReader} from '../chain/index.ts'
import {chainOptionsOf} from '../config/chain-options.ts'
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import {ProcessTransactionBatch} from '../processing/process-transaction-batch.ts'
import {TransactionRouter} from '../processing/transaction-router.ts'
import {TransactionWorker, type WorkerResult} from '../processing/transaction-worker.ts'
import {WorkerProgress} from '../processing/worker-progress.ts'
import type {BeatConsumer} from '../queue/beat-consumer.ts'
import {JobMetrics} from '../queue/job-metrics.ts'
import type {TransactionConsumer} from '../queue/transaction-consumer.ts'
import {Reconciler} from '../reconcile/reconciler.ts'
import type {ProcessParts} from './process-parts.ts'
import {runTogether} from './run-together.ts'
import {type WebhookSender, webhookSenderFor} from '../webhooks/webhook-sender.ts'

/** One batch can be in PostgreSQL while the next is read and routed; more only adds lock waits. */
export const PARALLEL_BATCHES = 2
/**
 * Jobs a worker holds at once by default (--concurrency): two batches of 32. PostgreSQL's cost a
 * job falls with the batch (bench:worker's floor: ~3,400 jobs/s at 16, ~4,200 at 32), more than
 * the two batches' lock waits on shared balance rows grow: 2,460-2,890 jobs/s against
 * 1,950-2,350 at 32 (quiet machine, 20,000 anchored jobs).
 */
export const DEFAULT_WORKER_CONCURRENCY = 64
/**
 * A worker's PostgreSQL connections: a transaction per batch in flight, failures, the cache relay,
 * the webhook sender's two (a claim and the last round's outcomes, at once: never a batch's), and
 * one per beat task (they run side by side).
 */
export const WORKER_CONNECTIONS = PARALLEL_BATCHES + 4 + BEAT_TASKS.length

/** The worker flags' values. */
export interface WorkerFlagValues {
  concurrency: number
  'max-attempts': number
  'retry-delay': number
  'stall-limit': number
  /** Whether this worker sends the webhook events it queues (false: `confio webhooks send` does). */
  'webhook-sender': boolean
}

export type WorkerProcessResult = WorkerResult & {beat: BeatWorkerResult}

/** The worker's job loops (transactions, and beat jobs in a lane per task) and the relay that sends its balance changes to Redis. */
export class WorkerProcess {
  private readonly relay: CacheOutboxRelay
  /** Only when WEBHOOK_URL is set. */
  private readonly webhooks: WebhookSender | undefined
  /** Read before the relay starts, then every few seconds: the relay writes it into every copy. */
  private readonly generation: CacheGeneration
  private readonly worker: TransactionWorker
  private readonly beat: BeatWorker
  private readonly logger: Logger
  private readonly drain: boolean
  /** A chain reader of its own when the caller has none (`confio worker`: only beat jobs read the chain). */
  private readonly ownChain: ChainReader | undefined

  /** `stage` names the worker within a process that has other stages (`confio run`: `worker`). */
  constructor(parts: ProcessParts & {redis: Redis; queues: {transactions: TransactionConsumer; beat: BeatConsumer}; chain?: ChainReader; stage?: string}, flags: WorkerFlagValues & {drain: boolean; stopGraceMs: number}) {
    const {settings, db} = parts
    // One `stage` key naming the whole path (`worker/cache-outbox`): pino writes a key bound on a
    // child of a child twice, and a JSON line with two "stage" keys means whichever its reader keeps.
    const stageLogger = (part?: string) => {
      const stage = [parts.stage, part].filter((name) => name !== undefined).join('/')
      return stage ? parts.logger.child({stage}) : parts.logger
    }
    const logger = stageLogger()
    this.logger = logger
    const registry = parts.metrics?.registry
    const jobs = registry ? new JobMetrics() : undefined
    if (registry && jobs) jobs.register(registry)
    this.drain = flags.drain
    this.generation = new CacheGeneration(db)
    const redis = new RedisBalanceStore(parts.redis, settings.redisPrefix, this.generation)
    this.relay = new CacheOutboxRelay({db, redis, logger: stageLogger('cache-outbox')})
    const webhooks = settings.webhooks
    // --no-webhook-sender: the events are queued in each commit all the same; `confio webhooks
    // send` (another process) sends them, and its CPU is not this worker's.
    this.webhooks = webhooks && flags['webhook-sender'] ? webhookSenderFor(webhooks, {db, logger: stageLogger('webhooks'), stopGraceMs: flags.stopGraceMs, registry}) : undefined
    const processor = new ProcessTransactionBatch({
      db,
      router: new TransactionRouter({tokens: settings.tokens, contracts: settings.contracts}),
      onBalancesChanged: () => this.relay.wake(),
      webhooks: webhooks !== undefined,
      onWebhooksQueued: () => this.webhooks?.wake(),
      policy: {maxAttempts: flags['max-attempts'], retryDelayMs: flags['retry-delay'], stallLimit: flags['stall-limit']},
      logger,
    })
    this.worker = new TransactionWorker({
      queue: parts.queues.transactions,
      processor,
      concurrency: flags.concurrency,
      parallelBatches: PARALLEL_BATCHES,
      drain: flags.drain,
      logger,
      stopGraceMs: flags.stopGraceMs,
      progress: new WorkerProgress(parts.redis, settings.redisPrefix),
      metrics: jobs,
    })
    const beatLogger = stageLogger('beat')
    // Opened lazily by its client: nothing is sent until a beat job reads a balance.
    const chain = parts.chain ?? (this.ownChain = openChainReader(chainOptionsOf(settings.sui), {logger: beatLogger}))
    const tasks = new BeatTaskRunner({
      db,
      balances: new BalanceService({
        db,
        redis,
        chain,
        tokens: settings.tokens,
        logger: beatLogger,
        memoryEntries: 1_000,
        verifyTimeoutMs: settings.balanceVerifyTimeoutMs,
        memoryMaxAgeMs: settings.balanceMemoryMaxAgeMs,
        ...(registry ? {metrics: registry} : {}),
      }),
      reconciler: new Reconciler({db, redis, chain, tokens: settings.tokens, logger: beatLogger, webhooks: webhooks !== undefined}),
      tokens: settings.tokens,
      logger: beatLogger,
      onBalancesChanged: () => this.relay.wake(),
    })
    this.beat = new BeatWorker({db, queue: parts.queues.beat, tasks, drain: flags.drain, logger: beatLogger, stopGraceMs: flags.stopGraceMs, metrics: jobs})
  }

  /** Runs jobs until the signal (or, draining, until both queues are empty); the cache is brought up to date when Redis lets it. */
  async run(signal: AbortSignal): Promise<WorkerProcessResult> {
    await this.generation.refresh()
    this.generation.watch((error) => this.logger.warn({err: messageOf(error)}, 'cannot read the cache generation; trying again'))
    this.relay.start()
    this.webhooks?.start()
    try {
      // Out of drain mode either loop ending ends the other; draining, each empties its own queue.
      const [work, beat] = await runTogether(signal, [(stopped) => this.worker.run(stopped), (stopped) => this.beat.run(stopped)], {oneEndsAll: !this.drain})
      return {...work, beat}
    } finally {
      this.ownChain?.close()
      this.generation.stop()
      await this.relay.stop()
      await this.relay.drain().catch((error: unknown) => this.logger.warn({err: messageOf(error)}, 'balance cache outbox not empty at exit; the next worker sends it'))
      await this.webhooks?.stop()
    }
  }
}
