// The queue's part of the status: job counts from Redis. Redis down is a reading (the section says
// unavailable and status raises an alarm), never a failure of the command.
import type {Redis} from 'ioredis'
import {BEAT_QUEUE, BeatQueue} from '../queue/beat-queue.ts'
import {PROCESS_TRANSACTION, TransactionQueue} from '../queue/transaction-queue.ts'
import type {QueueStatus} from './status-report.ts'
import {messageOf} from '../errors.ts'

export interface QueueProbeOptions {
  /** The command's Redis client, opened on first use (throws when Redis does not answer). */
  readonly redis: () => Promise<Redis>
  readonly redisUrl: string
  readonly redisPrefix: string
}

/**
 * Reads the queues' counts, again on every call (status --watch). Redis is asked first through
 * ioredis, which fails at once while Redis is down; bee-queue's own client is opened only once
 * Redis has answered, because it would instead wait for Redis to come back.
 */
export class QueueProbe {
  private readonly options: QueueProbeOptions
  private transactions: TransactionQueue | undefined
  private beat: BeatQueue | undefined

  constructor(options: QueueProbeOptions) {
    this.options = options
  }

  async read(): Promise<QueueStatus> {
    try {
      await (await this.options.redis()).ping()
      const where = {redisUrl: this.options.redisUrl, redisPrefix: this.options.redisPrefix, timeoutMs: 1_000}
      this.transactions ??= new TransactionQueue(where)
      this.beat ??= new BeatQueue(where)
      const [transactions, beat] = await Promise.all([this.transactions.counts(), this.beat.counts()])
      // The beat queue keeps no failed jobs: a run's outcome is in beat_runs.
      return {available: true, queues: [{name: PROCESS_TRANSACTION, ...transactions}, {name: BEAT_QUEUE, ...beat, failed: null}]}
    } catch (error) {
      return {available: false, error: messageOf(error)}
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.transactions?.close(1_000), this.beat?.close(1_000)])
    this.transactions = undefined
    this.beat = undefined
  }
}
