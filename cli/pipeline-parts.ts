// The poller's and the worker's flags and assembly, shared by `confio poll`, `confio worker` and
// `confio run` (both in one process), so the three cannot drift apart.
import {Flags} from '@oclif/core'
import type {Redis} from 'ioredis'
import {CacheOutboxRelay} from '../src/balances/cache-outbox-relay.ts'
import {RedisBalanceStore} from '../src/balances/redis-balance-store.ts'
import type {ChainReader} from '../src/chain/index.ts'
import type {ConfioConfig} from '../src/config/config.ts'
import {FOLLOW_MODES, type FollowMode} from '../src/ingest/checkpoint-source.ts'
import {Poller} from '../src/ingest/poller.ts'
import {PollerLease} from '../src/ingest/poller-lease.ts'
import type {PollerMetrics} from '../src/ingest/poller-metrics.ts'
import type {Logger} from '../src/logging/logger.ts'
import {ProcessTransactionBatch} from '../src/processing/process-transaction-batch.ts'
import {DEFAULT_RETRY_POLICY} from '../src/processing/retry-policy.ts'
import {TransactionRouter} from '../src/processing/transaction-router.ts'
import {TransactionWorker, type WorkerResult} from '../src/processing/transaction-worker.ts'
import type {TransactionQueue} from '../src/queue/transaction-queue.ts'
import type {Database} from '../src/store/database.ts'
import {checkpointFlag, durationFlag} from './durations.ts'

export const CURSOR = 'checkpoints'

/** One batch can be in PostgreSQL while the next is read and routed; more only adds lock waits. */
export const PARALLEL_BATCHES = 2
/** A worker's PostgreSQL connections: a transaction per batch in flight, failures, the cache relay. */
export const WORKER_CONNECTIONS = PARALLEL_BATCHES + 2

export const pollFlags = {
  mode: Flags.option({options: FOLLOW_MODES, default: 'auto' as const, summary: 'stream (SubscribeCheckpoints), poll (every --interval) or auto.'})(),
  interval: durationFlag({default: 2_000, minMs: 100, summary: 'How often poll mode looks for new checkpoints (e.g. 2s, 500ms).'}),
  'from-checkpoint': checkpointFlag({summary: 'Where to start when there is no cursor yet (ignored once one exists).'}),
  'metrics-port': Flags.integer({min: 1, max: 65_535, summary: 'Serve Prometheus metrics on 127.0.0.1:PORT/metrics.'}),
  'outbox-interval': durationFlag({default: 30_000, minMs: 1_000, summary: 'How often unqueued or lost jobs are queued again.', hidden: true}),
}

export const workerFlags = {
  concurrency: Flags.integer({min: 1, max: 256, default: 32, summary: 'Jobs this process holds at once; those waiting together are processed as one batch.'}),
  'max-attempts': Flags.integer({min: 1, default: DEFAULT_RETRY_POLICY.maxAttempts, summary: 'Runs a failing job gets before it is marked failed.'}),
  'retry-delay': durationFlag({default: DEFAULT_RETRY_POLICY.retryDelayMs, minMs: 0, summary: 'Wait before a retry, multiplied by the attempt number (e.g. 60s).'}),
  'stall-limit': Flags.integer({min: 1, default: DEFAULT_RETRY_POLICY.stallLimit, summary: 'Times a job may stop mid-run (its worker died) before it is marked failed.'}),
  'stall-interval': durationFlag({default: 5_000, minMs: 1_000, summary: 'A job not renewed by its worker for this long is given to another (same value on every worker).'}),
}

export interface PollFlagValues {
  mode: FollowMode
  interval: number
  'from-checkpoint'?: bigint | undefined
  'outbox-interval': number
}

export interface WorkerFlagValues {
  concurrency: number
  'max-attempts': number
  'retry-delay': number
  'stall-limit': number
}

export interface PipelineParts {
  readonly settings: ConfioConfig
  readonly db: Database
  readonly logger: Logger
}

export function createPoller(parts: PipelineParts & {chain: ChainReader; queue: TransactionQueue; metrics: PollerMetrics}, flags: PollFlagValues & {once: boolean}): Poller {
  const {settings} = parts
  return new Poller({
    db: parts.db,
    chain: parts.chain,
    queue: parts.queue,
    lease: new PollerLease({databaseUrl: settings.databaseUrl, name: CURSOR}),
    packages: settings.contracts.monitored,
    tokens: settings.tokens,
    cursorName: CURSOR,
    mode: flags.mode,
    intervalMs: flags.interval,
    once: flags.once,
    ...(flags['from-checkpoint'] !== undefined ? {fromCheckpoint: flags['from-checkpoint']} : {}),
    logger: parts.logger,
    metrics: parts.metrics,
    outboxIntervalMs: flags['outbox-interval'],
  })
}

/** The worker's job loop and the relay that sends its balance changes to Redis. */
export class WorkerParts {
  private readonly relay: CacheOutboxRelay
  private readonly worker: TransactionWorker
  private readonly logger: Logger

  constructor(parts: PipelineParts & {redis: Redis; queue: TransactionQueue}, flags: WorkerFlagValues & {drain: boolean; stopGraceMs: number}) {
    const {settings, db, logger} = parts
    this.logger = logger
    this.relay = new CacheOutboxRelay({db, redis: new RedisBalanceStore(parts.redis, settings.redisPrefix), logger: logger.child({stage: 'cache-outbox'})})
    const processor = new ProcessTransactionBatch({
      db,
      router: new TransactionRouter({tokens: settings.tokens, contracts: settings.contracts}),
      onBalancesChanged: () => this.relay.wake(),
      policy: {maxAttempts: flags['max-attempts'], retryDelayMs: flags['retry-delay'], stallLimit: flags['stall-limit']},
      logger,
    })
    this.worker = new TransactionWorker({queue: parts.queue, processor, concurrency: flags.concurrency, parallelBatches: PARALLEL_BATCHES, drain: flags.drain, logger, stopGraceMs: flags.stopGraceMs})
  }

  /** Runs jobs until the signal (or, draining, an empty queue); the cache is brought up to date when Redis lets it. */
  async run(signal: AbortSignal): Promise<WorkerResult> {
    this.relay.start()
    try {
      return await this.worker.run(signal)
    } finally {
      await this.relay.stop()
      await this.relay.drain().catch((error: Error) => this.logger.warn({err: error.message}, 'balance cache outbox not empty at exit; the next worker sends it'))
    }
  }
}
