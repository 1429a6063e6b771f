// What both sides of a confio queue share, its producer (TransactionQueue, BeatQueue: the poller,
// the beat, backfill, status) and its consumer (TransactionConsumer, BeatConsumer: the workers),
// as BullMQ's Queue and Worker share a QueueBase: one bee-queue under `<REDIS_PREFIX>bq:`, on a
// Redis client of confio's making (bee-queue-redis.ts: no error of it is ever unhandled, it
// reconnects for as long as Redis is away), with no events (nothing listens), no job cache
// (bee-queue would keep every job it touched in a Map for those events), and finished jobs removed
// (the outcome lives in PostgreSQL). Only a consumer has bee-queue's isWorker: a producer has no
// blocking connection and nothing to take jobs with.
import BeeQueue from 'bee-queue'
import type {Logger} from '../logging/logger.ts'
import {withTimeout} from '../support/with-timeout.ts'
import {type BeeQueueConnections, beeQueueConnections} from './bee-queue-redis.ts'

export interface QueueOptions {
  readonly redisUrl: string
  /** confio's REDIS_PREFIX; bee-queue's keys go under `<prefix>bq:`. */
  readonly redisPrefix: string
  /** How long a Redis call may take (creating jobs: before they count as failed). Default 2 s. */
  readonly timeoutMs?: number
  /**
   * bee-queue's stallInterval: a worker renews its claim on a job every half of it, and a job
   * not renewed for a whole interval is given to another worker. Every worker of one queue must
   * use the same value. Default 5 s.
   */
  readonly stallIntervalMs?: number
  /** Where Redis going away and coming back is said (bee-queue-redis.ts); none: silent. */
  readonly logger?: Logger
}

/** Any side of any queue, as whoever closes it sees it. */
export interface QueueSide {
  readonly isWorker: boolean
  close(timeoutMs?: number): Promise<void>
}

/** A queue side's class: what the base command's factory builds. */
export type QueueKind<Q extends QueueSide> = new (options: QueueOptions) => Q

/** How a caller of that factory wants its queue; the factory supplies where (REDIS_URL, REDIS_PREFIX) and the logger. */
export interface QueueChoice {
  readonly timeoutMs?: number
  readonly stallIntervalMs?: number
  /** A logger other than the command's (a stage's). */
  readonly logger?: Logger
  /** Say nothing of Redis going away (status reports it itself). */
  readonly quiet?: boolean
}

/** The base command's queue factory, for core code that opens queues when it needs them (status). */
export type OpenQueue = <Q extends QueueSide>(kind: QueueKind<Q>, choice?: QueueChoice) => Promise<Q>

export interface QueueCounts {
  readonly waiting: number
  readonly active: number
  readonly delayed: number
  readonly failed: number
}

/** What a queue tells bee-queue beyond the settings every confio queue has. */
export interface QueueSettings {
  readonly isWorker: boolean
  /** bee-queue's activateDelayedJobs: this side moves delayed jobs back to waiting when they are due. */
  readonly activateDelayedJobs: boolean
  readonly removeOnFailure?: boolean
}

/** node-redis 3's callback, as bee-queue's clients take it. */
export type RedisCallback<T> = (error: Error | null, reply: T) => void

/** The part of node-redis 3's client that confio's own commands on bee-queue's keys use. */
export interface BeeQueueClient {
  eval(...args: [...(string | number)[], RedisCallback<unknown>]): boolean
  srem(key: string, members: readonly string[], callback: RedisCallback<number>): boolean
  brpoplpush(source: string, destination: string, timeoutSeconds: number, callback: RedisCallback<string | null>): boolean
  send_command(command: string, args: readonly (string | number)[], callback: RedisCallback<unknown>): boolean
}

/**
 * What confio uses of bee-queue 2.0.0 beyond its typings: its command client once ready, its
 * blocking client (a consumer's), its key names, and the timer that raises delayed jobs.
 * package.json pins that version; the queue, poll and worker tests fail if any of it changes.
 */
export interface BeeQueueInternals {
  _commandable(): Promise<BeeQueueClient>
  readonly bclient: BeeQueueClient | null
  toKey(name: string): string
  _activateDelayed(): void
}

/** Runs a script on a bee-queue's command client; `keys` are bee-queue key names (toKey). */
export async function runQueueScript(queue: BeeQueueInternals, script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  const client = await queue._commandable()
  return new Promise((resolve, reject) => {
    client.eval(script, keys.length, ...keys.map((key) => queue.toKey(key)), ...args, (error, reply) => (error ? reject(error) : resolve(reply)))
  })
}

export abstract class QueueBase<Job> implements QueueSide {
  readonly queue: BeeQueue<Job>
  /** Whether this side takes jobs (bee-queue's isWorker). */
  readonly isWorker: boolean
  readonly stallIntervalMs: number
  protected readonly timeoutMs: number
  private readonly connections: BeeQueueConnections

  protected constructor(name: string, options: QueueOptions, settings: QueueSettings) {
    this.isWorker = settings.isWorker
    this.timeoutMs = options.timeoutMs ?? 2_000
    this.stallIntervalMs = options.stallIntervalMs ?? 5_000
    this.connections = beeQueueConnections(options.redisUrl, options.logger)
    this.queue = new BeeQueue<Job>(name, {
      prefix: `${options.redisPrefix}bq`,
      redis: this.connections.client,
      // The client is handed over, but the queue owns it: closing the queue quits it.
      quitCommandClient: true,
      getEvents: false,
      sendEvents: false,
      storeJobs: false,
      removeOnSuccess: true,
      ...settings,
      stallInterval: this.stallIntervalMs,
    })
    // Connection errors surface as rejected calls; without a listener they would also be thrown.
    this.queue.on('error', () => undefined)
    // bee-queue connects at once; a connection that fails before anyone awaits ready() would be an
    // unhandled rejection (the process would die). ready() still rejects for whoever awaits it.
    this.queue.ready().catch(() => undefined)
  }

  /** The queue's name (`process-transaction`, `beat`): the label its metrics carry. */
  get name(): string {
    return this.queue.name
  }

  async ready(): Promise<void> {
    await this.queue.ready()
  }

  /** Whether a job of this id exists (waiting, delayed, running or failed). */
  async has(jobId: string): Promise<boolean> {
    return Boolean(await withTimeout(this.queue.getJob(jobId), this.timeoutMs, 'Redis did not answer'))
  }

  async counts(): Promise<QueueCounts> {
    const health = await withTimeout(this.queue.checkHealth(), this.timeoutMs * 5, 'Redis did not answer')
    return {waiting: health.waiting, active: health.active, delayed: health.delayed, failed: health.failed}
  }

  /** bee-queue's parts beyond its typings (BeeQueueInternals). */
  protected get internals(): BeeQueueInternals {
    return this.queue as unknown as BeeQueueInternals
  }

  /** Stops taking jobs (a consumer) and waits up to `timeoutMs` for the ones running. */
  async close(timeoutMs = 5_000): Promise<void> {
    await this.queue.close(timeoutMs).catch(() => undefined)
    this.connections.end()
  }
}
