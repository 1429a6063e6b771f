// Commits checkpoints: the relevant transactions of a batch of consecutive checkpoints and the
// cursor, in one PostgreSQL transaction, so a crash leaves either both or neither (Sui's indexer
// framework commits its watermark the same way). Then it queues one job per newly stored
// transaction; a failure there is left to the outbox, never retried inline.
//
// Checkpoints arrive as read for relevance: events without their JSON. Before its database
// transaction the committer fetches the relevant transactions in full (one BatchGetTransactions
// per batch, ~1% of the transactions read), so raw_blockchain_events holds what the workers
// parse. A transaction it cannot fetch fails the commit: nothing of the batch is stored and the
// cursor stays where it was, so the batch is read again rather than stored without it.
import {backoffDelayMs, sleep} from '../chain/backoff.ts'
import type {ChainReader} from '../chain/chain-reader.ts'
import type {CheckpointRecord, TransactionDetails, TransactionRecord} from '../chain/records.ts'
import type {Logger} from '../logging/logger.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {advanceCursor} from '../store/ingest-cursor.ts'
import {insertRawEvents, markQueued, type RawEventInput} from '../store/raw-event-repository.ts'
import {DecodingGuard, type DecodingLimits} from './decoding-guard.ts'
import type {RelevanceFilter, RelevanceReason} from './relevance-filter.ts'

export interface CommitResult {
  readonly first: bigint
  readonly last: bigint
  readonly transactions: number
  readonly relevant: number
  readonly inserted: number
  readonly queued: number
  readonly enqueueFailures: number
}

/** What the committer asks of the chain. */
export interface PreparedBatch {
  readonly first: bigint
  readonly last: bigint
  readonly transactions: number
  readonly relevant: RawEventInput[]
}

export type TransactionDetailsReader = Pick<ChainReader, 'transactionDetails'>

export interface DetailsRetry {
  /** Fetches of a batch's details before the commit fails. */
  readonly attempts: number
  readonly baseMs: number
  readonly maxMs: number
}

// Around 10 s of trying before the poller stops: longer than a load-balanced provider's nodes
// usually lag each other, short enough that a node that pruned the transaction is reported soon.
const DEFAULT_DETAILS_RETRY: DetailsRetry = {attempts: 6, baseMs: 500, maxMs: 5_000}

/** The relevant transactions of a batch could not be fetched in full; nothing was committed. */
export class TransactionDetailsError extends Error {
  override readonly name = 'TransactionDetailsError'
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
  readonly detailsRetry?: DetailsRetry
  /** When undecodable transactions stop the poller (default: over 1% of the last 1,000, or 20 in a row). */
  readonly decodingLimits?: DecodingLimits
}

export class CheckpointCommitter {
  private cursor: bigint | undefined
  private readonly options: CheckpointCommitterOptions
  private readonly decoding: DecodingGuard

  constructor(options: CheckpointCommitterOptions) {
    this.options = options
    this.cursor = options.cursor
    this.decoding = new DecodingGuard(options.decodingLimits)
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
    return this.write(await this.prepare(batch))
  }

  /**
   * The part of a commit that touches nothing: relevance and the full details of what is kept.
   * The poller prepares the next batch while the previous one is written.
   */
  async prepare(batch: readonly CheckpointRecord[]): Promise<PreparedBatch> {
    const first = batch[0]
    const last = batch[batch.length - 1]
    if (!first || !last) throw new Error('checkpoint committer: empty batch')
    this.decoding.check(batch)
    const summaries = this.relevantOf(batch)
    const relevant = await this.withDetails(summaries, first.sequenceNumber, last.sequenceNumber)
    return {first: first.sequenceNumber, last: last.sequenceNumber, transactions: batch.reduce((n, c) => n + c.transactions.length, 0), relevant}
  }

  /** Stores a prepared batch and moves the cursor, in one transaction; then queues the jobs. */
  async write(prepared: PreparedBatch): Promise<CommitResult> {
    const {first, last, relevant} = prepared
    if (this.cursor !== undefined && first !== this.cursor + 1n) {
      throw new Error(`checkpoint committer: batch starts at ${first}, cursor is ${this.cursor}`)
    }
    const {db, cursorName} = this.options
    const inserted = await db.transaction(async (trx) => {
      const digests = await insertRawEvents(trx, relevant)
      await advanceCursor(trx, cursorName, this.cursor, last, this.options.chainId)
      return digests
    })
    this.cursor = last
    const {queued, failed} = await this.enqueue(inserted)
    return {first, last, transactions: prepared.transactions, relevant: relevant.length, inserted: inserted.length, queued, enqueueFailures: failed}
  }

  private relevantOf(batch: readonly CheckpointRecord[]): Array<{tx: TransactionRecord; reasons: RelevanceReason[]}> {
    const relevant: Array<{tx: TransactionRecord; reasons: RelevanceReason[]}> = []
    for (const checkpoint of batch) {
      for (const tx of checkpoint.transactions) {
        const reasons = this.options.filter.reasons(tx)
        if (reasons.length > 0) relevant.push({tx, reasons})
      }
    }
    return relevant
  }

  /**
   * The relevant summaries in full. Where a transaction sits (checkpoint, index, time) comes from
   * the checkpoint read; the rest from the details, which must agree on the checkpoint.
   */
  private async withDetails(relevant: Array<{tx: TransactionRecord; reasons: RelevanceReason[]}>, first: bigint, last: bigint): Promise<RawEventInput[]> {
    // A transaction whose digest could not be decoded cannot be asked for; it is stored as read
    // (it is relevant only because of its parse error) and says why its events have no JSON.
    const fetchable = relevant.filter(({tx}) => tx.digest !== '')
    const details = await this.fetchDetails(fetchable.map(({tx}) => tx.digest), first, last)
    const byDigest = new Map(details.map((tx) => [tx.digest, tx]))
    return relevant.map(({tx, reasons}) => {
      if (tx.digest === '') return {tx: withoutEventContents(tx), reasons}
      const full = byDigest.get(tx.digest)
      if (full === undefined) throw new TransactionDetailsError(`no details for transaction ${tx.digest}`)
      if (full.checkpoint !== tx.checkpoint) {
        throw new TransactionDetailsError(`the node places transaction ${tx.digest} in checkpoint ${full.checkpoint}, its checkpoint read in ${tx.checkpoint}`)
      }
      return {tx: {...full, checkpoint: tx.checkpoint, index: tx.index, timestampMs: tx.timestampMs}, reasons}
    })
  }

  /**
   * One transactionDetails call (the reader chunks it), tried again with backoff when it failed
   * in a way that may pass: a transient error the chain layer gave up on, or NOT_FOUND. A
   * checkpointed transaction is never legitimately missing, but a provider's load balancer may
   * send the details call to a node that has not reached the checkpoint yet. A NOT_FOUND that
   * persists (the node pruned it, or lost it) fails the commit, loudly; never a skip.
   */
  private async fetchDetails(digests: string[], first: bigint, last: bigint): Promise<TransactionDetails[]> {
    if (digests.length === 0) return []
    const retry = this.options.detailsRetry ?? DEFAULT_DETAILS_RETRY
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.chain.transactionDetails(digests)
      } catch (error) {
        const status = (error as {status?: unknown}).status
        const retryable = status === 'NOT_FOUND' || (error as {transient?: unknown}).transient === true
        const range = `checkpoints ${first}..${last}`
        if (!retryable || attempt >= retry.attempts) {
          throw new TransactionDetailsError(
            `could not fetch ${digests.length} relevant transactions of ${range} in full after ${attempt} attempts; nothing committed, the cursor stays at ${this.cursor ?? 'none'}: ${(error as Error).message}`,
            {cause: error},
          )
        }
        const delayMs = backoffDelayMs(retry, attempt)
        this.options.logger?.warn({err: (error as Error).message, attempt, delayMs, first: first.toString(), last: last.toString()}, 'could not fetch relevant transactions in full; retrying')
        await sleep(delayMs)
      }
    }
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

function withoutEventContents(tx: TransactionRecord): TransactionDetails {
  const why = 'event contents not fetched: the transaction digest could not be decoded'
  return {
    ...tx,
    // raw_blockchain_events is unique on the digest: without one, its place in the chain names it,
    // so two undecodable transactions are both kept and a replay still finds the same row.
    digest: `undecodable:${tx.checkpoint}:${tx.index}`,
    events: tx.events.map((event) => ({...event, json: null})),
    parseError: tx.parseError ? `${tx.parseError}; ${why}` : why,
  }
}
