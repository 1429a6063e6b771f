// The queue's part of the status: job counts from Redis. Redis down is a reading (the section says
// unavailable and status raises an alarm), never a failure of the command.
import type {Redis} from 'ioredis'
import {BEAT_QUEUE, BeatQueue} from '../queue/beat-queue.ts'
import type {OpenQueue} from '../queue/queue-base.ts'
import {PROCESS_TRANSACTION, TransactionQueue} from '../queue/transaction-queue.ts'
import type {QueueStatus} from './status-report.ts'
import {messageOf} from '../errors.ts'

export interface QueueProbeOptions {
  /** The command's Redis client, opened on first use (throws when Redis does not answer). */
  readonly redis: () => Promise<Redis>
  /** The command's queue factory. */
  readonly open: OpenQueue
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
      // Quiet: Redis going away is this section's reading, not a warning of the queue's.
      const choice = {timeoutMs: 1_000, quiet: true}
      this.transactions ??= await this.options.open(TransactionQueue, choice)
      this.beat ??= await this.options.open(BeatQueue, choice)
      const [transactions, beat] = await Promise.all([this.transactions.counts(), this.beat.counts()])
      // The beat queue keeps no failed jobs: a run's outcome is in beat_runs.
      return {available: true, queues: [{name: PROCESS_TRANSACTION, ...transactions}, {name: BEAT_QUEUE, ...beat, failed: null}]}
    } catch (error) {
      return {available: false, error: messageOf(error)}
    }
  }
}
