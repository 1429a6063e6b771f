// The poller as `confio poll` and `confio run` assemble it, so the two cannot drift apart: its
// lease, its heartbeat, its settings from the poll flags (cli/pipeline-flags.ts), and, with a
// metrics server, its metrics and readiness.
import type {ChainReader} from '../chain/index.ts'
import {chainOptionsOf} from '../config/chain-options.ts'
import {PipelineHeartbeat} from '../ingest/pipeline-heartbeat.ts'
import type {FollowMode} from '../ingest/checkpoint-source.ts'
import {Poller} from '../ingest/poller.ts'
import {POLLER_CURSOR} from '../ingest/poller-cursor.ts'
import {pollerLease} from '../ingest/poller-lease.ts'
import {PollerMetrics} from '../ingest/poller-metrics.ts'
import {watchLease} from '../metrics/lease-metric-families.ts'
import type {MetricsServer} from '../metrics/metrics-server.ts'
import type {Lease} from '../store/lease.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {ProcessParts} from './process-parts.ts'

/** The poll flags' values. */
export interface PollFlagValues {
  mode: FollowMode
  interval: number
  'from-checkpoint'?: bigint | undefined
  'outbox-interval': number
  'node-wait': number
  'details-deadline': number
}

export function createPoller(parts: ProcessParts & {chain: ChainReader; queue: TransactionQueue}, flags: PollFlagValues & {once: boolean}): Poller {
  const {settings} = parts
  const lease = pollerLease(settings.databaseUrl)
  const metrics = parts.metrics ? pollerMetrics(parts.metrics, lease) : undefined
  return new Poller({
    db: parts.db,
    chain: parts.chain,
    queue: parts.queue,
    lease,
    packages: settings.contracts.monitored,
    tokens: settings.tokens,
    cursorName: POLLER_CURSOR,
    mode: flags.mode,
    intervalMs: flags.interval,
    once: flags.once,
    ...(flags['from-checkpoint'] !== undefined ? {fromCheckpoint: flags['from-checkpoint']} : {}),
    logger: parts.logger,
    ...(metrics ? {metrics} : {}),
    outboxIntervalMs: flags['outbox-interval'],
    nodeBehindWaitMs: flags['node-wait'],
    detailsDeadlineMs: flags['details-deadline'],
    retryMaxDelayMs: settings.sui.retryMaxDelayMs,
    ...(settings.sui.readingThread === 'on' ? {readingThread: chainOptionsOf(settings.sui)} : {}),
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

/** The poller's metrics, its lease's, and its readiness: it holds the lease, or waits as a standby. */
function pollerMetrics(server: MetricsServer, lease: Lease): PollerMetrics {
  const metrics = new PollerMetrics()
  metrics.register(server.registry)
  watchLease(server.registry, 'poller', lease)
  server.ready('poller', () => {
    if (!lease.holds && !lease.waiting) throw new Error('the poller neither holds its lease nor waits for it as a standby')
  })
  return metrics
}
