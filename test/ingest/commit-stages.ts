// The poller's decide → details → commit → queue stages, the real ones, joined by channels as the
// poller joins them, for tests that hand them checkpoints read by the test instead of by the read
// stage. Each call runs the stages over what it is given until their input ends; the stages (the
// decoding guard's window, the committer's cursor) carry over from one call to the next, as they
// do over a poller's run.
import type {CheckpointView} from '../../src/chain/index.ts'
import {BatchPreparer, type PreparedBatch} from '../../src/ingest/batch-preparer.ts'
import {BoundedChannel} from '../../src/ingest/bounded-channel.ts'
import {CheckpointCommitter, type StoredBatch} from '../../src/ingest/checkpoint-committer.ts'
import type {DecodingLimits} from '../../src/ingest/decoding-guard.ts'
import type {DetailsRetry, TransactionDetailsReader} from '../../src/ingest/details-fetcher.ts'
import {JobQueuer} from '../../src/ingest/job-queuer.ts'
import {type DecidedCheckpoint, RelevanceDecider} from '../../src/ingest/relevance-decider.ts'
import type {RelevanceFilter} from '../../src/ingest/relevance-filter.ts'
import {createLogger, type Logger} from '../../src/logging/logger.ts'
import type {TransactionQueue} from '../../src/queue/transaction-queue.ts'
import {SecretScrubber} from '../../src/secrets.ts'
import type {Database} from '../../src/store/database.ts'
import type {CommitFence} from '../../src/store/ingest-cursor.ts'

export interface CommitStagesOptions {
  readonly db: Database
  readonly chain: TransactionDetailsReader
  readonly queue: TransactionQueue
  readonly filter: RelevanceFilter
  readonly cursorName: string
  /** The cursor as stored now (undefined: none yet). */
  readonly cursor?: bigint | undefined
  /** The first checkpoint the decide stage will be given (default: the one after the cursor, or 0). */
  readonly start?: bigint
  readonly fence?: CommitFence
  readonly detailsRetry?: Partial<DetailsRetry>
  /** The poller's stop. */
  readonly signal?: AbortSignal
  readonly decodingLimits?: DecodingLimits
  readonly logger?: Logger
}

/** What one call committed, over all its batches. */
export interface Committed {
  readonly batches: readonly StoredBatch[]
  readonly relevant: number
  readonly inserted: number
}

export class CommitStages {
  readonly decider: RelevanceDecider
  readonly preparer: BatchPreparer
  readonly committer: CheckpointCommitter
  readonly queuer: JobQueuer
  /** The batches the call under way has committed. */
  #committed: StoredBatch[] = []

  constructor(options: CommitStagesOptions) {
    const logger = options.logger ?? createLogger({level: 'warn', scrubber: new SecretScrubber(), pretty: false, write: () => undefined})
    const start = options.start ?? (options.cursor !== undefined ? options.cursor + 1n : 0n)
    this.decider = new RelevanceDecider({filter: options.filter, start, ...(options.decodingLimits ? {decodingLimits: options.decodingLimits} : {})})
    const onCommitted = (batch: StoredBatch) => void this.#committed.push(batch)
    this.committer = new CheckpointCommitter({db: options.db, cursorName: options.cursorName, cursor: options.cursor, fence: options.fence, signal: options.signal, onCommitted, logger})
    this.preparer = new BatchPreparer({chain: options.chain, retry: options.detailsRetry, signal: options.signal, logger, position: () => this.committer.position})
    this.queuer = new JobQueuer({queue: options.queue, logger})
  }

  get position(): bigint | undefined {
    return this.committer.position
  }

  /** Decides, prepares, commits and queues `checkpoints` (one batch, when they are few enough); rejects with the commit stage's error. */
  async commit(checkpoints: readonly CheckpointView[]): Promise<Committed> {
    const decided = await this.decide(checkpoints)
    const prepared = new BoundedChannel<Promise<PreparedBatch>>(1)
    const preparing = this.preparer.run(decided, prepared)
    try {
      return await this.store(prepared)
    } finally {
      prepared.close()
      await preparing
    }
  }

  /** One prepared batch of `checkpoints`, through the decide and details stages. */
  async prepare(checkpoints: readonly CheckpointView[]): Promise<PreparedBatch> {
    const prepared = new BoundedChannel<Promise<PreparedBatch>>(1)
    await this.preparer.run(await this.decide(checkpoints), prepared)
    const [batch] = (await prepared.take(1)) ?? []
    if (!batch) throw new Error('no batch prepared')
    return batch
  }

  /** The commit and queue stages over batches prepared before: all of them given at once. */
  storeAll(batches: readonly PreparedBatch[]): Promise<Committed> {
    const prepared = new BoundedChannel<Promise<PreparedBatch>>(batches.length)
    for (const batch of batches) void prepared.put(Promise.resolve(batch))
    prepared.close()
    return this.store(prepared)
  }

  /** The decide stage run to the end over `checkpoints`: its output holds them all, decided, so the details stage takes them as one batch. */
  private async decide(checkpoints: readonly CheckpointView[]): Promise<BoundedChannel<DecidedCheckpoint>> {
    const read = new BoundedChannel<CheckpointView>(Math.max(1, checkpoints.length))
    for (const checkpoint of checkpoints) await read.put(checkpoint)
    read.close()
    const decided = new BoundedChannel<DecidedCheckpoint>(Math.max(1, checkpoints.length))
    await this.decider.run(read, decided)
    return decided
  }

  private async store(prepared: BoundedChannel<Promise<PreparedBatch>>): Promise<Committed> {
    const committed = new BoundedChannel<StoredBatch>(1_000)
    const queueing = this.queuer.run(committed)
    const batches: StoredBatch[] = (this.#committed = [])
    try {
      await this.committer.run(prepared, committed)
    } finally {
      await queueing
    }
    return {batches, relevant: batches.reduce((n, b) => n + b.relevant, 0), inserted: batches.reduce((n, b) => n + b.inserted.length, 0)}
  }
}
