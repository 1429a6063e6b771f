// Commits checkpoints: the relevant transactions of a batch of consecutive checkpoints and the
// cursor, in one PostgreSQL transaction, so a crash leaves either both or neither (Sui's indexer
// framework commits its watermark the same way). Then it queues one job per newly stored
// transaction; a failure there is left to the outbox, never retried inline.
import type {CheckpointRecord} from '../chain/records.ts'
import type {Logger} from '../logging/logger.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {advanceCursor} from '../store/ingest-cursor.ts'
import {insertRawEvents, markQueued, type RawEventInput} from '../store/raw-event-repository.ts'
import type {RelevanceFilter} from './relevance-filter.ts'

export interface CommitResult {
  readonly first: bigint
  readonly last: bigint
  readonly transactions: number
  readonly relevant: number
  readonly inserted: number
  readonly queued: number
  readonly enqueueFailures: number
}

export interface CheckpointCommitterOptions {
  readonly db: Database
  readonly cursorName: string
  /** The cursor as read at start (undefined: none yet). */
  readonly cursor: bigint | undefined
  readonly filter: RelevanceFilter
  readonly queue: TransactionQueue
  readonly logger?: Logger
}

export class CheckpointCommitter {
  private cursor: bigint | undefined
  private readonly options: CheckpointCommitterOptions

  constructor(options: CheckpointCommitterOptions) {
    this.options = options
    this.cursor = options.cursor
  }

  get position(): bigint | undefined {
    return this.cursor
  }

  /** `batch` holds consecutive checkpoints, the first one right after the cursor. */
  async commit(batch: readonly CheckpointRecord[]): Promise<CommitResult> {
    const first = batch[0]
    const last = batch[batch.length - 1]
    if (!first || !last) throw new Error('checkpoint committer: empty batch')
    if (this.cursor !== undefined && first.sequenceNumber !== this.cursor + 1n) {
      throw new Error(`checkpoint committer: batch starts at ${first.sequenceNumber}, cursor is ${this.cursor}`)
    }
    const relevant = this.relevantOf(batch)
    const {db, cursorName} = this.options
    const inserted = await db.transaction(async (trx) => {
      const digests = await insertRawEvents(trx, relevant)
      await advanceCursor(trx, cursorName, this.cursor, last.sequenceNumber)
      return digests
    })
    this.cursor = last.sequenceNumber
    const {queued, failed} = await this.enqueue(inserted)
    return {
      first: first.sequenceNumber,
      last: last.sequenceNumber,
      transactions: batch.reduce((n, c) => n + c.transactions.length, 0),
      relevant: relevant.length,
      inserted: inserted.length,
      queued,
      enqueueFailures: failed,
    }
  }

  private relevantOf(batch: readonly CheckpointRecord[]): RawEventInput[] {
    const relevant: RawEventInput[] = []
    for (const checkpoint of batch) {
      for (const tx of checkpoint.transactions) {
        const reasons = this.options.filter.reasons(tx)
        if (reasons.length > 0) relevant.push({tx, reasons})
      }
    }
    return relevant
  }

  private async enqueue(digests: string[]): Promise<{queued: number; failed: number}> {
    if (digests.length === 0) return {queued: 0, failed: 0}
    const result = await this.options.queue.enqueue(digests)
    try {
      await markQueued(this.options.db, result.queued)
    } catch (error) {
      // The jobs exist; the outbox will only find them present and leave them be.
      this.options.logger?.warn({err: (error as Error).message}, 'could not record queued_at')
    }
    if (result.failed.length > 0) {
      this.options.logger?.error({failed: result.failed.length, first: result.failed[0]?.error}, 'could not queue transactions; the outbox will retry')
    }
    return {queued: result.queued.length, failed: result.failed.length}
  }
}
