// The poller as `confio poll` and `confio run` assemble it, so the two cannot drift apart: its
// lease, its heartbeat, its settings from the poll flags (cli/pipeline-flags.ts), and its
// Prometheus metrics.
import type {ChainReader} from '../chain/index.ts'
import {PipelineHeartbeat} from '../ingest/pipeline-heartbeat.ts'
import type {FollowMode} from '../ingest/checkpoint-source.ts'
import {Poller} from '../ingest/poller.ts'
import {POLLER_CURSOR} from '../ingest/poller-cursor.ts'
import {pollerLease} from '../ingest/poller-lease.ts'
import type {PollerMetrics} from '../ingest/poller-metrics.ts'
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

/**
 * The poller's Prometheus metrics and their server, with --metrics-port only: prom-client (~50 ms
 * of module loading on every start) is loaded then.
 */
export async function servePollerMetrics(port: number | undefined, chain: ChainReader): Promise<{metrics?: PollerMetrics; close(): void}> {
  if (port === undefined) return {close: () => undefined}
  const {PollerMetrics} = await import('../ingest/poller-metrics.ts')
  const metrics = new PollerMetrics(() => chain.metrics())
  const server = await metrics.serve(port)
  return {metrics, close: () => server.close()}
}

export function createPoller(parts: ProcessParts & {chain: ChainReader; queue: TransactionQueue; metrics: PollerMetrics | undefined}, flags: PollFlagValues & {once: boolean}): Poller {
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
