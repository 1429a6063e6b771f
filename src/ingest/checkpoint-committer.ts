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
//
// The commit is fenced: the poller's lease (poller-lease.ts) is checked in the commit's own
// transaction, so a poller that lost its lease (stopped, paused, cut off) commits nothing.
import {backoffDelayMs, sleep} from '../chain/backoff.ts'
import {ChainError} from '../chain/chain-error.ts'
import type {ChainReader} from '../chain/chain-reader.ts'
import type {CheckpointRecord, TransactionDetails, TransactionRecord} from '../chain/records.ts'
import {formatDuration} from '../config/durations.ts'
import {RuntimeFailure} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import {advanceCursor, type CommitFence} from '../store/ingest-cursor.ts'
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

/** How a batch's details are fetched: tried again with jittered backoff, within a time budget. */
export interface DetailsRetry {
  /** How long fetching one batch's details may take, every attempt and wait included, before the commit fails. */
  readonly deadlineMs: number
  readonly baseMs: number
  readonly maxMs: number
}

// 30 s: longer than a load-balanced provider's nodes usually lag each other (seconds) and than a
// node restart, short enough that a node that pruned the transaction, or one that stopped
// answering, is reported within half a minute instead of stalling the poller unseen.
export const DEFAULT_DETAILS_DEADLINE_MS = 30_000
const DEFAULT_DETAILS_RETRY: DetailsRetry = {deadlineMs: DEFAULT_DETAILS_DEADLINE_MS, baseMs: 500, maxMs: 5_000}

/** Chain errors that say the node's answer itself is unusable (the chain layer's malformed replies, a digest it refuses). */
const MALFORMED_ANSWER: ReadonlySet<string> = new Set(['DATA_LOSS', 'INVALID_ARGUMENT'])

// A commit's transaction left idle this long is ended by PostgreSQL. A poller stopped (SIGSTOP, a
// long pause) in the middle of a commit would otherwise keep that transaction open, with its locks
// (the new digests' index entries, the cursor row, the lease row its fence holds FOR SHARE), for as
// long as its connection lives, and the standby that takes over its lease would wait on them. Ended
// within 5 s, well inside the lease's 10 s expiry, it delays no takeover.
const COMMIT_IDLE_TIMEOUT_MS = 5_000

/**
 * The relevant transactions of a batch could not be fetched in full; nothing was committed and the
 * poller stops (exit 1). `permanent`: the node's answer itself is malformed (a digest that is not
 * one, a reply that does not decode), so a restart reads the same; otherwise the batch is read
 * again at the next start.
 */
export class TransactionDetailsError extends RuntimeFailure {
  override readonly name = 'TransactionDetailsError'
  readonly permanent: boolean

  constructor(message: string, options: {cause?: unknown; permanent?: boolean} = {}) {
    const permanent = options.permanent ?? false
    super(message, {
      code: permanent ? 'CHAIN_REPLY_MALFORMED' : 'TRANSACTION_DETAILS_UNAVAILABLE',
      remedy: permanent
        ? 'a restart reads the same answer: point SUI_GRPC_URL at another node or provider, and report the transaction to its operator'
        : 'the batch is read again at the next start; check the node with confio test-connection',
      cause: options.cause,
    })
    this.permanent = permanent
  }
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
      await trx.raw(`SET LOCAL idle_in_transaction_session_timeout = ${COMMIT_IDLE_TIMEOUT_MS}`)
      const digests = await insertRawEvents(trx, relevant)
      await advanceCursor(trx, cursorName, this.cursor, last, {chainId: this.options.chainId, fence: this.options.fence})
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
   * send the details call to a node that has not reached the checkpoint yet. All of it within the
   * deadline (DetailsRetry.deadlineMs, 30 s): a NOT_FOUND that persists (the node pruned it, or
   * lost it), or a node that does not answer, fails the commit, loudly; never a skip. A malformed
   * answer (a digest that is not one, a reply that does not decode) fails it at once: asking again
   * gets the same. The stop signal ends the call in flight and the backoff at once.
   */
  private async fetchDetails(digests: string[], first: bigint, last: bigint): Promise<TransactionDetails[]> {
    if (digests.length === 0) return []
    const given = this.options.detailsRetry
    const retry: DetailsRetry = {
      deadlineMs: given?.deadlineMs ?? DEFAULT_DETAILS_RETRY.deadlineMs,
      baseMs: given?.baseMs ?? DEFAULT_DETAILS_RETRY.baseMs,
      maxMs: given?.maxMs ?? DEFAULT_DETAILS_RETRY.maxMs,
    }
    const stop = this.options.signal
    const deadline = AbortSignal.timeout(retry.deadlineMs)
    const signal = stop ? AbortSignal.any([stop, deadline]) : deadline
    const what = `${digests.length} relevant transactions of checkpoints ${first}..${last}`
    const unstored = `nothing committed, the cursor stays at ${this.cursor ?? 'none'}`
    let lastFailure: unknown
    const outOfTime = (attempts: number, error: unknown) => {
      const seen = lastFailure === undefined ? 'no answer' : `last: ${(lastFailure as Error).message}`
      const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`
      return new TransactionDetailsError(`could not fetch ${what} in full within ${formatDuration(retry.deadlineMs)} (${tries}; ${seen}); ${unstored}`, {cause: lastFailure ?? error})
    }
    for (let attempt = 1; ; attempt++) {
      let error: unknown
      try {
        return await this.options.chain.transactionDetails(digests, {signal})
      } catch (thrown) {
        error = thrown
      }
      if (stop?.aborted) throw stop.reason
      if (deadline.aborted) throw outOfTime(attempt, error)
      if (error instanceof TypeError) {
        // The reader refuses a digest that is not one before sending: the node's checkpoint named the transaction so.
        throw new TransactionDetailsError(`the node's checkpoint names a relevant transaction of checkpoints ${first}..${last} by a malformed digest (${error.message}); ${unstored}`, {cause: error, permanent: true})
      }
      if (error instanceof ChainError && MALFORMED_ANSWER.has(error.status)) {
        throw new TransactionDetailsError(`the node's answer for ${what} is malformed: ${error.message}; ${unstored}`, {cause: error, permanent: true})
      }
      const status = (error as {status?: unknown}).status
      if (status !== 'NOT_FOUND' && (error as {transient?: unknown}).transient !== true) {
        throw new TransactionDetailsError(`could not fetch ${what} in full: ${(error as Error).message}; ${unstored}`, {cause: error})
      }
      lastFailure = error
      const delayMs = backoffDelayMs(retry, attempt)
      this.options.logger?.warn({err: (error as Error).message, attempt, delayMs, first: first.toString(), last: last.toString()}, 'could not fetch relevant transactions in full; retrying')
      await sleep(delayMs, signal).catch(() => undefined)
      if (stop?.aborted) throw stop.reason
      if (deadline.aborted) throw outOfTime(attempt, error)
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
