// The poller's commit stage: the relevant transactions of a batch of consecutive checkpoints and
// the cursor, in one PostgreSQL transaction, so a crash leaves either both or neither (Sui's
// indexer framework commits its watermark the same way). A digest is stored once (a replayed
// checkpoint inserts nothing), so rows and cursor together give exactly-once storing.
//
// The commit is fenced: the poller's lease (src/store/lease.ts) is checked in the commit's own
// transaction, so a poller that lost its lease (stopped, paused, cut off) commits nothing.
//
// Contract. Takes prepared batches (promises, in order: their details fetches are under way) and
// stores them strictly in order, STORES_AHEAD at once: their inserts overlap, and they commit in
// order or not at all (store). Each commit, as soon as it is made and in order, is told to
// `onCommitted` and put on its output for the queue stage. Between two commits it runs the
// `between` work (a history fill) when that is due, with no store in flight. Once stopped it
// begins no new store; the stores in flight are seen through, so SIGTERM finishes the batch in
// hand. Error policy: a batch whose details could not be fetched, a store that fails (the fence,
// the cursor moved, PostgreSQL), a failure of its input or of the `between` work end it with that
// error (a details fetch the stop cut short is a stop, not a failure); the stores in flight settle
// first, and the batches after a failed one roll back. Its output is closed whatever the outcome,
// so the queue stage queues every batch committed. Its log lines carry `step: commit`.
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import {advanceCursor, type CommitFence} from '../store/ingest-cursor.ts'
import type {PreparedBatch} from './batch-preparer.ts'
import type {BoundedChannel} from './bounded-channel.ts'
import {insertRawEvents} from './raw-event-repository.ts'

/** A batch committed, its jobs not yet queued. */
export interface StoredBatch {
  readonly first: bigint
  readonly last: bigint
  readonly lastTimestampMs: number
  readonly transactions: number
  readonly relevant: number
  /** How many of its checkpoints hold a relevant transaction. */
  readonly relevantCheckpoints: number
  /** The digests the commit inserted (a replayed checkpoint inserts none). */
  readonly inserted: readonly string[]
}

/** Work that must run between two commits, with no store in flight. */
export interface BetweenCommits {
  readonly due: () => boolean
  readonly run: () => Promise<void>
}

// Batches being stored at once. Their inserts overlap, so the database works on one while the
// other waits for a core or the disk; they commit in order (store).
const STORES_AHEAD = 2

// A commit's transaction left idle this long is ended by PostgreSQL. A poller stopped (SIGSTOP, a
// long pause) in the middle of a commit would otherwise keep that transaction open, with its locks
// (the new digests' index entries, the cursor row, the lease row its fence holds FOR SHARE), for as
// long as its connection lives, and the standby that takes over its lease would wait on them. Ended
// within 5 s, well inside the lease's 10 s expiry, it delays no takeover.
const COMMIT_IDLE_TIMEOUT_MS = 5_000
/** A batch's order lock, by the cursor's name and the checkpoint the batch ends at (orderKey). */
const ORDER_LOCK = 'pg_advisory_xact_lock(hashtext(?), ?)'

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
  readonly cursorName: string
  /** The chain followed, recorded with a cursor this committer creates. */
  readonly chainId?: string | undefined
  /** The cursor as read at start (undefined: none yet). */
  readonly cursor: bigint | undefined
  /** Checked in each commit's transaction before the cursor moves (the poller's lease). */
  readonly fence?: CommitFence | undefined
  /** The poller's stop: no store begins once it is aborted. */
  readonly signal?: AbortSignal | undefined
  readonly between?: BetweenCommits | undefined
  /** Told each commit as soon as it is made, in order (before its jobs are queued). */
  readonly onCommitted?: ((batch: StoredBatch, logger: Logger) => void) | undefined
  readonly logger: Logger
}

export class CheckpointCommitter {
  readonly name = 'commit'
  private cursor: bigint | undefined
  /** Where the last store begun will leave the cursor. */
  private tail: bigint | undefined
  /** The last store begun: `holdsLock` settles once it holds its order lock, or has ended (committed or rolled back). */
  private ahead: {readonly holdsLock: Promise<void>; ended: boolean} | undefined
  private readonly options: CheckpointCommitterOptions
  private readonly logger: Logger

  constructor(options: CheckpointCommitterOptions) {
    this.options = options
    this.cursor = options.cursor
    this.tail = options.cursor
    this.logger = options.logger.child({step: this.name})
  }

  /** The cursor as this committer last committed it. */
  get position(): bigint | undefined {
    return this.cursor
  }

  async run(input: BoundedChannel<Promise<PreparedBatch>>, output: BoundedChannel<StoredBatch>): Promise<void> {
    // Stores in flight, oldest first; each commit is told, and handed to the queue stage, once it and those before it are made.
    const stores: Array<Promise<StoredBatch>> = []
    let told = Promise.resolve()
    let handed = Promise.resolve()
    const seeThrough = async () => {
      while (stores.length > 0) await stores.shift()
    }
    try {
      for (let prepared = await this.next(input, seeThrough); prepared; prepared = await this.next(input, seeThrough)) {
        if (this.options.between?.due()) {
          await seeThrough()
          await this.options.between.run()
        }
        const stored = this.store(prepared)
        stored.catch(() => undefined) // settled in turn; this only keeps an early failure from being "unhandled"
        stores.push(stored)
        // Told as soon as it is made, not after its jobs are queued: a line read after a pause
        // (SIGSTOP, a slow Redis) names only what was committed after it.
        told = Promise.all([stored, told]).then(([batch]) => this.options.onCommitted?.(batch, this.logger), () => undefined)
        // A put refused (the poller closed the queue stage's input) leaves the jobs to the outbox.
        handed = Promise.all([stored, handed]).then(([batch]) => output.put(batch), () => undefined).catch(() => undefined)
        if (stores.length >= STORES_AHEAD) await stores.shift()
      }
      await seeThrough()
    } finally {
      await Promise.allSettled(stores)
      await told
      await handed
      output.close()
    }
  }

  /**
   * The next prepared batch; undefined once the input has ended or the poller stopped (no store
   * begins after the stop, even one whose batch was awaited as it came). With nothing ready, the
   * stores in flight are seen through first: a failed one ends the run now, not at the next batch.
   */
  private async next(input: BoundedChannel<Promise<PreparedBatch>>, seeThrough: () => Promise<void>): Promise<PreparedBatch | undefined> {
    const stop = this.options.signal
    if (stop?.aborted) return undefined
    let next = input.takeReady(1)
    if (!next) {
      await seeThrough()
      next = await input.take(1)
    }
    if (!next) return undefined
    // A details fetch the stop cut short stored nothing: the run ends like any stop, at the cursor.
    const prepared = await next[0]!.catch((error: unknown) => {
      if (stop?.aborted) return undefined
      throw error
    })
    return stop?.aborted ? undefined : prepared
  }

  /**
   * Stores a prepared batch and moves the cursor, in one transaction. It may be called again
   * before the previous store has finished: the two insert at the same time (the database works on
   * both), and commit in order.
   */
  private store(prepared: PreparedBatch): Promise<StoredBatch> {
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
    // Ordered after the store before it by transaction-level advisory locks, one per batch, keyed
    // by the checkpoint it ends at: a store takes its own at once, and after its insert waits (in
    // PostgreSQL, under the lock timeout) for the one of the batch before it, which that store
    // holds until it has committed or rolled back. No store begins before the one ahead holds its
    // own lock. So the inserts overlap, the cursor moves from one committed value to the next, and
    // a store whose predecessor failed finds the cursor short of where it expects
    // (compare-and-set) and rolls back: batches commit strictly in order, or not at all.
    // Each statement is a round trip, which a busy machine makes cost milliseconds (bench:poll):
    // the idle timeout is set in the statement that takes the lock, and the wait for the store
    // before is left out when that store has already ended (its lock is gone with it; the
    // compare-and-set still finds the cursor where it left it).
    const run = async () => {
      if (ahead) await ahead.holdsLock
      return db.transaction(async (trx) => {
        await trx.raw(`SELECT set_config('idle_in_transaction_session_timeout', ?, true), ${ORDER_LOCK}`, [String(COMMIT_IDLE_TIMEOUT_MS), cursorName, orderKey(last)])
        holds()
        const inserted = await insertRawEvents(trx, relevant)
        if (expected !== undefined && ahead && !ahead.ended) await trx.raw(`SELECT ${ORDER_LOCK}`, [cursorName, orderKey(expected)])
        await advanceCursor(trx, cursorName, expected, last, {chainId, fence})
        return inserted
      })
    }
    const done = run()
    const settled = done.then(() => undefined, () => undefined)
    // The next store may begin once this one holds its lock, or has ended without it.
    const store = {holdsLock: Promise.race([holding, settled]), ended: false}
    void settled.then(() => (store.ended = true))
    this.ahead = store
    return done.then((inserted) => {
      this.cursor = last
      return {first, last, lastTimestampMs: prepared.lastTimestampMs, transactions: prepared.transactions, relevant: relevant.length, relevantCheckpoints: new Set(relevant.map(({tx}) => tx.checkpoint)).size, inserted}
    })
  }
}
