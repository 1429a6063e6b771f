// The writer of the pipeline marker (src/balances/pipeline-marker.ts), run by the poller that holds
// the lease. Every second it measures the poller's lag (poller-lag.ts) and how long the oldest
// stored transaction not yet processed has waited (one query on the unprocessed index), and writes
// the marker with the lifetime those leave under PIPELINE_LAG_THRESHOLD. The workers need not
// write it: their progress shows in the next beat's query, within a second.
//
// It never fails or holds up the poller: it has its own Redis connection (opened lazily, no
// offline queue, commands bounded by REDIS_COMMAND_TIMEOUT), a beat is given up after that
// timeout and a second more (a paused Redis never finishes a connect's ready check), and a beat
// that cannot reach PostgreSQL or Redis writes nothing; the marker then expires, which readers
// take as "behind", the truth as far as anyone can tell.
//
// While the poller waits out a node outage (node-outage.ts) it beats on, even before it knows
// where it stands (the marker is then not written: missing is "behind"): the lag counts the
// outage's length too, since nothing the chain did meanwhile has been seen, and the outage record
// is written beside the marker (deleted once it is over) for `confio status`.
import type {Redis} from 'ioredis'
import {MARKER_LIFETIME_MS, markerFor, pipelineMarkerKey, type PipelineReport} from '../balances/pipeline-marker.ts'
import {REDIS_COMMAND_TIMEOUT_DEFAULT_MS} from '../config/settings.ts'
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import {withTimeout} from '../support/with-timeout.ts'
import {type NodeOutage, nodeOutageKey} from './node-outage.ts'
import {PollerLag} from './poller-lag.ts'
import {oldestWaitingAgeMs} from './raw-event-repository.ts'

/** How often the marker is written: well inside its lifetime (MARKER_LIFETIME_MS, 5 s). */
const BEAT_MS = 1_000

export interface PipelineHeartbeatOptions {
  readonly db: Database
  readonly redisUrl: string
  readonly redisPrefix: string
  /** PIPELINE_LAG_THRESHOLD. */
  readonly thresholdMs: number
  /** REDIS_COMMAND_TIMEOUT (default 1 s). */
  readonly commandTimeoutMs?: number
  readonly logger: Logger
}

export class PipelineHeartbeat {
  private readonly options: PipelineHeartbeatOptions
  private readonly key: string
  private readonly outageKey: string
  /** undefined until start(): where the poller stands is not known yet, so no marker is written. */
  private lag: PollerLag | undefined
  private outage: NodeOutage | undefined
  /** Whether an outage record may stand in Redis (deleted once the outage is over). */
  private outageWritten = false
  private redis: Redis | undefined
  private timer: NodeJS.Timeout | undefined
  private beating: Promise<void> | undefined
  private failing = false
  private readonly commandTimeoutMs: number

  constructor(options: PipelineHeartbeatOptions) {
    this.options = options
    this.key = pipelineMarkerKey(options.redisPrefix)
    this.outageKey = nodeOutageKey(options.redisPrefix)
    this.commandTimeoutMs = options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_DEFAULT_MS
  }

  /** The poller holds the lease, its cursor at `cursor`, the node at `tip`: beat from now on. */
  start(cursor: bigint, tip: bigint): void {
    this.lag = new PollerLag(cursor)
    this.lag.tipSeen(tip)
    this.beatOn()
  }

  /** The poller is waiting out a node outage: its lag counts it, and it is reported while it lasts. */
  reportOutage(outage: NodeOutage): void {
    this.outage = outage
    this.beatOn()
  }

  tipSeen(tip: bigint): void {
    this.lag?.tipSeen(tip)
  }

  committed(cursor: bigint): void {
    this.lag?.committed(cursor)
  }

  private beatOn(): void {
    this.timer ??= setInterval(() => this.tick(), BEAT_MS).unref()
    this.tick()
  }

  /** Stops beating; the marker stands until it expires (or a new poller writes it). */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.beating
    this.redis?.disconnect()
    this.redis = undefined
  }

  /**
   * Measures and writes the marker once (and the outage record, while there is one); what it
   * reported, undefined before start(). Rejects when PostgreSQL or Redis fails.
   */
  async beat(): Promise<PipelineReport | undefined> {
    const waitingAgeMs = await oldestWaitingAgeMs(this.options.db)
    const redis = await this.connection()
    const outage = this.outage?.current()
    const writes: Promise<unknown>[] = []
    if (outage) writes.push(redis.set(this.outageKey, JSON.stringify(outage), 'PX', MARKER_LIFETIME_MS))
    else if (this.outageWritten) writes.push(redis.del(this.outageKey))
    let report: PipelineReport | undefined
    if (this.lag) {
      // The lag as of now, after the query: the marker's lifetime is counted from both as fresh as can be.
      report = {lagMs: Math.max(this.lag.lagMs(), this.outage?.elapsedMs() ?? 0), waitingAgeMs}
      const {value, ttlMs} = markerFor(report, this.options.thresholdMs)
      writes.push(redis.set(this.key, value, 'PX', ttlMs))
    }
    await Promise.all(writes)
    this.outageWritten = outage !== undefined
    return report
  }

  /** One beat at a time: a slow one is not stacked on, and one that hangs is given up. */
  private tick(): void {
    if (this.beating || !this.timer) return
    this.beating = withTimeout(this.beat(), this.commandTimeoutMs + 1_000, 'the pipeline marker was not written').then(
      () => {
        if (this.failing) this.options.logger.info('pipeline marker written again')
        this.failing = false
      },
      (error: unknown) => {
        if (!this.failing) this.options.logger.warn({err: messageOf(error)}, 'cannot write the pipeline marker; cached balances are served as stale until it is written again')
        this.failing = true
      },
    ).finally(() => (this.beating = undefined))
  }

  /** ioredis is loaded on first use, as openRedis does: a command's start-up is paid on every run. */
  private async connection(): Promise<Redis> {
    if (this.redis) return this.redis
    const {Redis} = await import('ioredis')
    // No offline queue: while Redis is away a beat fails at once instead of writing late.
    this.redis = new Redis(this.options.redisUrl, {enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: this.commandTimeoutMs, lazyConnect: true})
    this.redis.on('error', () => undefined)
    await this.redis.connect()
    return this.redis
  }
}
