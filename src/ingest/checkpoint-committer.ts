// Commits checkpoints: the relevant transactions of a batch of consecutive checkpoints and the
// cursor, in one PostgreSQL transaction, so a crash leaves either both or neither (Sui's indexer
// framework commits its watermark the same way). Then it queues one job per newly stored
// transaction; a failure there is left to the outbox, never retried inline.
//
// Relevance is decided as checkpoints are read (decide): what travels on to the commit is a
// checkpoint's place and its few relevant transactions, not the ~100 KB of objects a decoded
// checkpoint holds, so the rest dies young and cheap for the garbage collector.
//
// Checkpoints arrive as read for relevance: events without their JSON. Before its database
// transaction the committer fetches the relevant transactions in full (one BatchGetTransactions
// per batch, ~1% of the transactions read), so raw_blockchain_events holds what the workers
// parse. A transaction it cannot fetch fails the commit: nothing of the batch is stored and the
// cursor stays where it was, so the batch is read again rather than stored without it.
//
// The commit is fenced: the poller's lease (src/store/lease.ts) is checked in the commit's own
// transaction, so a poller that lost its lease (stopped, paused, cut off) commits nothing.
import type {CheckpointRecord, CheckpointView, TransactionRecord} from '../chain/index.ts'
import type {Logger} from '../logging/logger.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {advanceCursor, type CommitFence} from '../store/ingest-cursor.ts'
import {DecodingGuard, type DecodingLimits, transactionCountOf} from './decoding-guard.ts'
import {DetailsFetcher, type DetailsRetry, type TransactionDetailsReader} from './details-fetcher.ts'
import {insertRawEvents, type RawEventInput} from './raw-event-repository.ts'
import type {RelevanceFilter, RelevanceReason} from './relevance-filter.ts'
import {queueStored} from './stored-jobs.ts'

export interface CommitResult {
  readonly first: bigint
  readonly last: bigint
  readonly transactions: number
  readonly relevant: number
  readonly inserted: number
  readonly queued: number
  readonly enqueueFailures: number
}

/** A batch committed, its jobs not yet queued. */
export interface StoredBatch {
  readonly first: bigint
  readonly last: bigint
  readonly transactions: number
  readonly relevant: number
  /** The digests the commit inserted (a replayed checkpoint inserts none). */
  readonly inserted: readonly string[]
}

/** A transaction kept, and why. */
export interface RelevantTransaction {
  readonly tx: TransactionRecord
  readonly reasons: RelevanceReason[]
}

/** A checkpoint once its relevance is decided: what its commit needs of it. */
export interface DecidedCheckpoint {
  readonly sequenceNumber: bigint
  readonly timestampMs: number
  /** How many transactions it holds. */
  readonly transactions: number
  readonly relevant: readonly RelevantTransaction[]
}

/** What the committer asks of the chain. */
export interface PreparedBatch {
  readonly first: bigint
  readonly last: bigint
  readonly transactions: number
  readonly relevant: RawEventInput[]
}

// A commit's transaction left idle this long is ended by PostgreSQL. A poller stopped (SIGSTOP, a
// long pause) in the middle of a commit would otherwise keep that transaction open, with its locks
// (the new digests' index entries, the cursor row, the lease row its fence holds FOR SHARE), for as
// long as its connection lives, and the standby that takes over its lease would wait on them. Ended
// within 5 s, well inside the lease's 10 s expiry, it delays no takeover.
const COMMIT_IDLE_TIMEOUT_MS = 5_000

/**
 * A store's order lock: pg_advisory_xact_lock(hashtext(cursor name), key), in the two-key space,
 * which the lease's one-key advisory lock (src/store/lease.ts) does not share. Keys wrap at 2^31:
 * only the locks of two consecutive batches are ever compared.
 */
function orderKey(checkpoint: bigint): number {
  return Number(checkpoint % 2_147_483_648n)
}

export interface CheckpointCommitterOptions {
  readonly db: Database
  readonly chain: TransactionDetailsReader
  readonly cursorName: string
  /** The chain followed, recorded with a cursor this committer creates. */
  readonly chainId?: string
  /** The cursor as read at start (undefined: none yet). */
  readonly cursor: bigint | undefined
  readonly filter: RelevanceFilter
  readonly queue: TransactionQueue
  readonly logger?: Logger
  /** Over the defaults: 30 s to fetch a batch's details, backoff from 500 ms up to 5 s. */
  readonly detailsRetry?: Partial<DetailsRetry>
  /** The poller's stop: ends a details fetch and its backoff at once (the commit then fails with its reason, nothing stored). */
  readonly signal?: AbortSignal
  /** When undecodable transactions stop the poller (default: over 1% of the last 1,000, or 20 in a row). */
  readonly decodingLimits?: DecodingLimits
  /** Checked in each commit's transaction before the cursor moves (the poller's lease). */
  readonly fence?: CommitFence
}

export class CheckpointCommitter {
  private cursor: bigint | undefined
  /** Where the last store begun will leave the cursor. */
  private tail: bigint | undefined
  /** Settles once the last store begun holds its order lock, or has ended. */
  private ahead: Promise<void> | undefined
  private readonly options: CheckpointCommitterOptions
  private readonly decoding: DecodingGuard
  private readonly details: DetailsFetcher

  constructor(options: CheckpointCommitterOptions) {
    this.options = options
    this.cursor = options.cursor
    this.tail = options.cursor
    this.decoding = new DecodingGuard(options.decodingLimits)
    this.details = new DetailsFetcher({chain: options.chain, retry: options.detailsRetry, signal: options.signal, logger: options.logger, position: () => this.cursor})
  }

  get position(): bigint | undefined {
    return this.cursor
  }

  /**
   * `batch` holds consecutive checkpoints, the first one right after the cursor. Throws
   * TransactionDetailsError when the relevant transactions could not be fetched in full (after
   * retrying what may pass); then nothing is stored, the cursor has not moved, and the poller
   * stops, so the batch is read again on the next start.
   */
  async commit(batch: readonly CheckpointRecord[]): Promise<CommitResult> {
    return this.write(await this.prepare(this.decide(batch)))
  }

  /**
   * Relevance, with the account set of this moment, for consecutive checkpoints. Synchronous, so
   * an account set refreshed after it returns applies from the next checkpoint on. Throws
   * DecodingFloodError when undecodable transactions pass a limit (nothing of `batch` is kept).
   */
  decide(batch: readonly CheckpointView[]): DecidedCheckpoint[] {
    this.decoding.check(batch)
    return batch.map((checkpoint) => ({
      sequenceNumber: checkpoint.sequenceNumber,
      timestampMs: checkpoint.timestampMs,
      transactions: transactionCountOf(checkpoint),
      relevant: this.relevantOf(checkpoint),
    }))
  }

  /**
   * The part of a commit that touches nothing: the full details of what is kept. The poller
   * prepares the next batch while the previous one is written.
   */
  async prepare(batch: readonly DecidedCheckpoint[]): Promise<PreparedBatch> {
    const first = batch[0]
    const last = batch[batch.length - 1]
    if (!first || !last) throw new Error('checkpoint committer: empty batch')
    const relevant = await this.details.withDetails(batch.flatMap((checkpoint) => checkpoint.relevant), first.sequenceNumber, last.sequenceNumber)
    return {first: first.sequenceNumber, last: last.sequenceNumber, transactions: batch.reduce((n, c) => n + c.transactions, 0), relevant}
  }

  /** Stores a prepared batch and moves the cursor, in one transaction; then queues the jobs. */
  async write(prepared: PreparedBatch): Promise<CommitResult> {
    return this.queueJobs(await this.store(prepared))
  }

  /**
   * Stores a prepared batch and moves the cursor, in one transaction. Its jobs are queued by
   * queueJobs, which the poller runs beside the next store: the rows are committed, so a crash in
   * between loses no job (the outbox queues what has none).
   *
   * It may be called again before the previous store has finished: the two insert at the same time
   * (the database works on both), and commit in order.
   */
  store(prepared: PreparedBatch): Promise<StoredBatch> {
    const {first, last, relevant} = prepared
    const expected = this.tail
    if (expected !== undefined && first !== expected + 1n) {
      throw new Error(`checkpoint committer: batch starts at ${first}, the batch before it ends at ${expected}`)
    }
    this.tail = last
    const {db, cursorName, chainId, fence} = this.options
    const ahead = this.ahead
    let holds!: () => void
    const holding = new Promise<void>((resolve) => (holds = resolve))
    const lock = (trx: Database, checkpoint: bigint) => trx.raw('SELECT pg_advisory_xact_lock(hashtext(?), ?)', [cursorName, orderKey(checkpoint)])
    // Ordered after the store before it by transaction-level advisory locks, one per batch, keyed
    // by the checkpoint it ends at: a store takes its own at once, and after its insert waits (in
    // PostgreSQL, under the lock timeout) for the one of the batch before it, which that store
    // holds until it has committed or rolled back. No store begins before the one ahead holds its
    // own lock. So the inserts overlap, the cursor moves from one committed value to the next, and
    // a store whose predecessor failed finds the cursor short of where it expects
    // (compare-and-set) and rolls back: batches commit strictly in order, or not at all.
    const run = async () => {
      if (ahead) await ahead
      return db.transaction(async (trx) => {
        await trx.raw(`SET LOCAL idle_in_transaction_session_timeout = ${COMMIT_IDLE_TIMEOUT_MS}`)
        await lock(trx, last)
        holds()
        const inserted = await insertRawEvents(trx, relevant)
        if (expected !== undefined) await lock(trx, expected)
        await advanceCursor(trx, cursorName, expected, last, {chainId, fence})
        return inserted
      })
    }
    const done = run()
    // The next store may begin once this one holds its lock, or has ended without it.
    this.ahead = Promise.race([holding, done.then(() => undefined, () => undefined)])
    return done.then((inserted) => {
      this.cursor = last
      return {first, last, transactions: prepared.transactions, relevant: relevant.length, inserted}
    })
  }

  /** Queues a job per transaction a store inserted. */
  async queueJobs(stored: StoredBatch): Promise<CommitResult> {
    const {queued, failed} = await queueStored(this.options.queue, stored.inserted, this.options.logger)
    const {inserted, ...batch} = stored
    return {...batch, inserted: inserted.length, queued, enqueueFailures: failed}
  }

  private relevantOf(checkpoint: CheckpointView): RelevantTransaction[] {
    const relevant: RelevantTransaction[] = []
    for (const tx of checkpoint.transactions) {
      const reasons = this.options.filter.reasons(tx)
      if (reasons.length > 0) relevant.push({tx, reasons})
    }
    return relevant
  }
}
