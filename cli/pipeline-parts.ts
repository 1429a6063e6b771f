// The poller's, the worker's and the beat's flags and assembly, shared by `confio poll`,
// `confio worker`, `confio beat` and `confio run` (all three in one process), so they cannot drift
// apart.
import {Flags} from '@oclif/core'
import type {Redis} from 'ioredis'
import {BalanceService} from '../src/balances/balance-service.ts'
import {CacheOutboxRelay} from '../src/balances/cache-outbox-relay.ts'
import {CacheGeneration} from '../src/balances/cache-generation.ts'
import {RedisBalanceStore} from '../src/balances/redis-balance-store.ts'
import {beatLease} from '../src/beat/beat-lease.ts'
import {formatTimeOfDay, parseTimeOfDay} from '../src/beat/beat-schedule.ts'
import {BeatScheduler, type PlannedTask} from '../src/beat/beat-scheduler.ts'
import {BEAT_TASKS, type BeatTaskName, BeatTaskRunner} from '../src/beat/beat-tasks.ts'
import {BeatWorker, type BeatWorkerResult} from '../src/beat/beat-worker.ts'
import {type ChainReader, openChainReader} from '../src/chain/index.ts'
import {chainOptionsOf} from '../src/config/chain-options.ts'
import type {ConfioConfig} from '../src/config/config.ts'
import {messageOf} from '../src/errors.ts'
import {DEFAULT_DETAILS_DEADLINE_MS} from '../src/ingest/details-fetcher.ts'
import {FOLLOW_MODES, type FollowMode} from '../src/ingest/checkpoint-source.ts'
import {PipelineHeartbeat} from '../src/ingest/pipeline-heartbeat.ts'
import {Poller} from '../src/ingest/poller.ts'
import {POLLER_CURSOR} from '../src/ingest/poller-cursor.ts'
import {pollerLease} from '../src/ingest/poller-lease.ts'
import type {PollerMetrics} from '../src/ingest/poller-metrics.ts'
import type {Logger} from '../src/logging/logger.ts'
import {ProcessTransactionBatch} from '../src/processing/process-transaction-batch.ts'
import {DEFAULT_RETRY_POLICY} from '../src/processing/retry-policy.ts'
import {TransactionRouter} from '../src/processing/transaction-router.ts'
import {TransactionWorker, type WorkerResult} from '../src/processing/transaction-worker.ts'
import {WorkerProgress} from '../src/processing/worker-progress.ts'
import {BeatQueue} from '../src/queue/beat-queue.ts'
import type {TransactionQueue} from '../src/queue/transaction-queue.ts'
import {Reconciler} from '../src/reconcile/reconciler.ts'
import type {Database} from '../src/store/database.ts'
import {checkpointFlag, durationFlag} from './durations.ts'

/** One batch can be in PostgreSQL while the next is read and routed; more only adds lock waits. */
export const PARALLEL_BATCHES = 2
/** A worker's PostgreSQL connections: a transaction per batch in flight, failures, the cache relay, and one per beat task (they run side by side). */
export const WORKER_CONNECTIONS = PARALLEL_BATCHES + 2 + BEAT_TASKS.length

export const pollFlags = {
  mode: Flags.option({options: FOLLOW_MODES, default: 'auto' as const, summary: 'stream (SubscribeCheckpoints), poll (every --interval) or auto.'})(),
  interval: durationFlag({default: 2_000, minMs: 100, summary: 'How often poll mode looks for new checkpoints (e.g. 2s, 500ms).'}),
  'from-checkpoint': checkpointFlag({summary: 'Where to start when there is no cursor yet (ignored once one exists).'}),
  'metrics-port': Flags.integer({min: 1, max: 65_535, summary: 'Serve Prometheus metrics on 127.0.0.1:PORT/metrics.'}),
  'outbox-interval': durationFlag({default: 30_000, minMs: 1_000, summary: 'How often unqueued or lost jobs are queued again.', hidden: true}),
  'node-wait': durationFlag({default: 30_000, minMs: 100, summary: 'With --once: how long to wait for a node that is behind the cursor.', hidden: true}),
  'details-deadline': durationFlag({default: DEFAULT_DETAILS_DEADLINE_MS, minMs: 100, summary: "How long fetching a batch's relevant transactions in full may take before the poller stops.", hidden: true}),
}

export const workerFlags = {
  concurrency: Flags.integer({min: 1, max: 256, default: 32, summary: 'Jobs this process holds at once; those waiting together are processed as one batch.'}),
  'max-attempts': Flags.integer({min: 1, default: DEFAULT_RETRY_POLICY.maxAttempts, summary: 'Runs a failing job gets before it is marked failed.'}),
  'retry-delay': durationFlag({default: DEFAULT_RETRY_POLICY.retryDelayMs, minMs: 0, summary: 'Wait before a retry, multiplied by the attempt number (e.g. 60s).'}),
  'stall-limit': Flags.integer({min: 1, default: DEFAULT_RETRY_POLICY.stallLimit, summary: 'Times a job may stop mid-run (its worker died) before it is marked failed.'}),
  'stall-interval': durationFlag({default: 5_000, minMs: 1_000, summary: 'A job not renewed by its worker for this long is given to another (same value on every worker).'}),
}

/** HH:MM in UTC, as minutes after midnight. */
const timeOfDayFlag = Flags.custom<number>({
  parse: async (input) => {
    const minute = parseTimeOfDay(input)
    if (minute === undefined) throw new Error(`${JSON.stringify(input)} is not a time of day; use HH:MM in UTC, e.g. 02:00`)
    return minute
  },
})

export const beatFlags = {
  'refresh-every': durationFlag({default: 300_000, minMs: 10_000, summary: 'How often stale balances are read from the chain again.'}),
  'refresh-limit': Flags.integer({min: 1, max: 10_000, default: 100, summary: 'Stale balances refreshed per run, oldest first.'}),
  'reconcile-every': durationFlag({default: 3_600_000, minMs: 60_000, summary: 'How often accounts not checked within this interval are reconciled with the chain.'}),
  'expire-every': durationFlag({default: 60_000, minMs: 10_000, summary: 'How often pending amounts past --pending-ttl are released.'}),
  'pending-ttl': durationFlag({default: 600_000, minMs: 60_000, summary: 'Age at which a pending amount whose transaction was never processed is released.'}),
  'cleanup-at': timeOfDayFlag({default: 120, defaultHelp: async () => formatTimeOfDay(120), summary: 'Time of day (HH:MM, UTC) of the daily cleanup.'}),
  retention: durationFlag({default: 90 * 86_400_000, minMs: 86_400_000, summary: 'Age after which processed raw events and finished processing-log rows are deleted.'}),
  task: Flags.option({options: BEAT_TASKS, multiple: true, summary: 'Schedule only this task (repeatable; default: all).'})(),
}

export interface BeatFlagValues {
  'refresh-every': number
  'refresh-limit': number
  'reconcile-every': number
  'expire-every': number
  'pending-ttl': number
  'cleanup-at': number
  retention: number
  task?: BeatTaskName[] | undefined
}

export interface PollFlagValues {
  mode: FollowMode
  interval: number
  'from-checkpoint'?: bigint | undefined
  'outbox-interval': number
  'node-wait': number
  'details-deadline': number
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

/**
 * The poller's Prometheus metrics and their server, with --metrics-port only: prom-client (~50 ms
 * of module loading on every start) is loaded then.
 */
export async function servePollerMetrics(port: number | undefined, chain: ChainReader): Promise<{metrics?: PollerMetrics; close(): void}> {
  if (port === undefined) return {close: () => undefined}
  const {PollerMetrics} = await import('../src/ingest/poller-metrics.ts')
  const metrics = new PollerMetrics(() => chain.metrics())
  const server = await metrics.serve(port)
  return {metrics, close: () => server.close()}
}

export function createPoller(parts: PipelineParts & {chain: ChainReader; queue: TransactionQueue; metrics: PollerMetrics | undefined}, flags: PollFlagValues & {once: boolean}): Poller {
  const {settings} = parts
  return new Poller({
    db: parts.db,
    chain: parts.chain,
    queue: parts.queue,
    lease: pollerLease(settings.databaseUrl),
    packages: settings.contracts.monitored,
    tokens: settings.tokens,
    cursorName: POLLER_CURSOR,
    mode: flags.mode,
    intervalMs: flags.interval,
    once: flags.once,
    ...(flags['from-checkpoint'] !== undefined ? {fromCheckpoint: flags['from-checkpoint']} : {}),
    logger: parts.logger,
    ...(parts.metrics ? {metrics: parts.metrics} : {}),
    outboxIntervalMs: flags['outbox-interval'],
    nodeBehindWaitMs: flags['node-wait'],
    detailsDeadlineMs: flags['details-deadline'],
    retryMaxDelayMs: settings.sui.retryMaxDelayMs,
    heartbeat: new PipelineHeartbeat({
      db: parts.db,
      redisUrl: settings.redisUrl,
      redisPrefix: settings.redisPrefix,
      thresholdMs: settings.pipelineLagThresholdMs,
      commandTimeoutMs: settings.redisCommandTimeoutMs,
      logger: parts.logger,
    }),
  })
}

/** What the beat schedules with these flags: every task, or those named by --task. */
export function beatPlan(flags: BeatFlagValues): PlannedTask[] {
  const plan: PlannedTask[] = [
    {task: 'refresh-stale-balances', schedule: {everyMs: flags['refresh-every']}, params: {limit: flags['refresh-limit']}},
    // Accounts checked within one interval are skipped, so each is compared about once per interval.
    {task: 'reconcile', schedule: {everyMs: flags['reconcile-every']}, params: {olderThanMs: flags['reconcile-every']}},
    {task: 'expire-pending', schedule: {everyMs: flags['expire-every']}, params: {ttlMs: flags['pending-ttl']}},
    {task: 'cleanup', schedule: {dailyAtMinute: flags['cleanup-at']}, params: {retentionMs: flags.retention}},
  ]
  const only = flags.task && flags.task.length > 0 ? new Set(flags.task) : undefined
  return only ? plan.filter((p) => only.has(p.task)) : plan
}

export function createBeatScheduler(parts: PipelineParts & {queue: BeatQueue}, flags: BeatFlagValues & {once: boolean}): BeatScheduler {
  return new BeatScheduler({
    db: parts.db,
    queue: parts.queue,
    lease: beatLease(parts.settings.databaseUrl),
    plan: beatPlan(flags),
    once: flags.once,
    logger: parts.logger,
  })
}

export type WorkerPartsResult = WorkerResult & {beat: BeatWorkerResult}

/** The worker's job loops (transactions, and beat jobs in a lane per task) and the relay that sends its balance changes to Redis. */
export class WorkerParts {
  private readonly relay: CacheOutboxRelay
  /** Read before the relay starts, then every few seconds: the relay writes it into every copy. */
  private readonly generation: CacheGeneration
  private readonly worker: TransactionWorker
  private readonly beat: BeatWorker
  private readonly logger: Logger
  private readonly drain: boolean
  /** A chain reader of its own when the caller has none (`confio worker`: only beat jobs read the chain). */
  private readonly ownChain: ChainReader | undefined

  /** `stage` names the worker within a process that has other stages (`confio run`: `worker`). */
  constructor(parts: PipelineParts & {redis: Redis; queue: TransactionQueue; chain?: ChainReader; stage?: string}, flags: WorkerFlagValues & {drain: boolean; stopGraceMs: number}) {
    const {settings, db} = parts
    // One `stage` key naming the whole path (`worker/cache-outbox`): pino writes a key bound on a
    // child of a child twice, and a JSON line with two "stage" keys means whichever its reader keeps.
    const stageLogger = (part?: string) => {
      const stage = [parts.stage, part].filter((name) => name !== undefined).join('/')
      return stage ? parts.logger.child({stage}) : parts.logger
    }
    const logger = stageLogger()
    this.logger = logger
    this.drain = flags.drain
    this.generation = new CacheGeneration(db)
    const redis = new RedisBalanceStore(parts.redis, settings.redisPrefix, this.generation)
    this.relay = new CacheOutboxRelay({db, redis, logger: stageLogger('cache-outbox')})
    const processor = new ProcessTransactionBatch({
      db,
      router: new TransactionRouter({tokens: settings.tokens, contracts: settings.contracts}),
      onBalancesChanged: () => this.relay.wake(),
      policy: {maxAttempts: flags['max-attempts'], retryDelayMs: flags['retry-delay'], stallLimit: flags['stall-limit']},
      logger,
    })
    this.worker = new TransactionWorker({
      queue: parts.queue,
      processor,
      concurrency: flags.concurrency,
      parallelBatches: PARALLEL_BATCHES,
      drain: flags.drain,
      logger,
      stopGraceMs: flags.stopGraceMs,
      progress: new WorkerProgress(parts.redis, settings.redisPrefix),
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
      }),
      reconciler: new Reconciler({db, redis, chain, tokens: settings.tokens, logger: beatLogger}),
      tokens: settings.tokens,
      logger: beatLogger,
      onBalancesChanged: () => this.relay.wake(),
    })
    const beatQueue = new BeatQueue({redisUrl: settings.redisUrl, redisPrefix: settings.redisPrefix, isWorker: true, stallIntervalMs: parts.queue.stallIntervalMs, logger})
    this.beat = new BeatWorker({db, queue: beatQueue, tasks, drain: flags.drain, logger: beatLogger, stopGraceMs: flags.stopGraceMs})
  }

  /** Runs jobs until the signal (or, draining, until both queues are empty); the cache is brought up to date when Redis lets it. */
  async run(signal: AbortSignal): Promise<WorkerPartsResult> {
    await this.generation.refresh()
    this.generation.watch((error) => this.logger.warn({err: messageOf(error)}, 'cannot read the cache generation; trying again'))
    this.relay.start()
    // One fails, both stop; and out of drain mode, either ending ends the other. (AbortSignal.any is
    // aborted already when the signal is: a listener added now would never hear a SIGINT that came
    // while the database opened.)
    const stop = new AbortController()
    const stopped = AbortSignal.any([signal, stop.signal])
    const ended = <T>(loop: Promise<T>): Promise<T> =>
      loop.then(
        (value) => {
          if (!this.drain) stop.abort()
          return value
        },
        (error: unknown) => {
          stop.abort()
          throw error
        },
      )
    try {
      const [work, beat] = await Promise.allSettled([ended(this.worker.run(stopped)), ended(this.beat.run(stopped))])
      if (work.status === 'rejected') throw work.reason
      if (beat.status === 'rejected') throw beat.reason
      return {...work.value, beat: beat.value}
    } finally {
      this.ownChain?.close()
      this.generation.stop()
      await this.relay.stop()
      await this.relay.drain().catch((error: unknown) => this.logger.warn({err: messageOf(error)}, 'balance cache outbox not empty at exit; the next worker sends it'))
    }
  }
}
