// The poller's details stage. Checkpoints arrive as read for relevance: events without their JSON.
// This stage gathers decided checkpoints into batches and fetches each batch's relevant
// transactions in full (DetailsFetcher: one BatchGetTransactions per batch, ~1% of the
// transactions read), so raw_blockchain_events holds what the workers parse.
//
// Contract. Takes decided checkpoints, consecutive, and puts one prepared batch per take (what was
// there, up to `maxBatch` checkpoints), in order, as a promise: its fetch has begun, and the
// commit stage awaits it in turn. In a catch-up (the batch ends before the tip the read stage has
// seen, so the checkpoints after it exist and are being read) a take waits for more, up to
// `maxBatch`, the tip, or CATCH_UP_WAIT_MS: every commit and every details fetch costs round trips
// and main-thread time whatever its size, and a catch-up that took what was there made a commit
// of a checkpoint or two while the stages behind were busy (bench:poll: its first commits). A
// batch that reaches the tip is never held back, so a live checkpoint waits for nothing. The
// output channel's size bounds the fetches under way, so the node works on the next batches while
// the database writes one. Error policy: a transaction it cannot fetch in full rejects its batch's
// promise (TransactionDetailsError, after retrying what may pass, within the deadline), so nothing
// of that batch is stored and the cursor stays before it; it is never stored without it, nor
// skipped. The poller's stop ends a fetch and its backoff at once (the promise then rejects with
// the stop's reason). A failure of its input is passed on after the batches before it. Its log
// lines (a fetch retried) carry `step: details`.
import type {Logger} from '../logging/logger.ts'
import {type BoundedChannel, relay} from './bounded-channel.ts'
import {DetailsFetcher, type DetailsRetry, type TransactionDetailsReader} from './details-fetcher.ts'
import type {RawEventInput} from './raw-event-repository.ts'
import type {DecidedCheckpoint} from './relevance-decider.ts'

/** Consecutive checkpoints with their relevant transactions in full: what one commit stores. */
export interface PreparedBatch {
  readonly first: bigint
  readonly last: bigint
  /** The last checkpoint's timestamp, for the lag a commit reports. */
  readonly lastTimestampMs: number
  /** How many transactions its checkpoints hold. */
  readonly transactions: number
  readonly relevant: RawEventInput[]
}

// The longest a catch-up batch waits for the checkpoints after it: a node that reads slowly must
// not hold the cursor still (a batch of 250 fills in a tenth of a second at a catch-up's pace).
const CATCH_UP_WAIT_MS = 500

export interface BatchPreparerOptions {
  readonly chain: TransactionDetailsReader
  /** Checkpoints per batch at most (default 250). */
  readonly maxBatch?: number | undefined
  /** Over the defaults: 30 s to fetch a batch's details, backoff from 500 ms up to 5 s. */
  readonly retry?: Partial<DetailsRetry> | undefined
  /** The poller's stop: ends a fetch and its backoff at once. */
  readonly signal?: AbortSignal | undefined
  readonly logger?: Logger | undefined
  /** Where the cursor stands, for the "nothing committed" part of an error. */
  readonly position?: () => bigint | undefined
  /** The chain's tip as the read stage last saw it: a batch that ends before it waits for more (none: never waits). */
  readonly tip?: () => bigint | undefined
}

export class BatchPreparer {
  readonly name = 'details'
  readonly #details: DetailsFetcher
  readonly #maxBatch: number
  readonly #tip: () => bigint | undefined

  constructor(options: BatchPreparerOptions) {
    const logger = options.logger?.child({step: this.name})
    this.#details = new DetailsFetcher({chain: options.chain, retry: options.retry, signal: options.signal, logger, position: options.position})
    this.#maxBatch = options.maxBatch ?? 250
    this.#tip = options.tip ?? (() => undefined)
  }

  run(input: BoundedChannel<DecidedCheckpoint>, output: BoundedChannel<Promise<PreparedBatch>>): Promise<void> {
    return relay(input, output, (from) => this.#gather(from), (batch) => {
      const prepared = this.#prepare(batch)
      prepared.catch(() => undefined) // awaited by the commit stage; this only keeps a failure it never reaches (a stop) from being "unhandled"
      return [prepared]
    })
  }

  /**
   * The next batch: what is there, waiting for one; in a catch-up, more as they come (see the
   * header). An input that ends or fails while it waits ends the wait: the batch in hand is put,
   * and the next take sees the end or the failure.
   */
  async #gather(input: BoundedChannel<DecidedCheckpoint>): Promise<DecidedCheckpoint[] | undefined> {
    const batch = await input.take(this.#maxBatch)
    if (!batch) return undefined
    const until = performance.now() + CATCH_UP_WAIT_MS
    while (batch.length < this.#maxBatch && this.#behindTip(batch[batch.length - 1]!.sequenceNumber)) {
      const left = until - performance.now()
      if (left <= 0 || !(await input.waitForItem(left))) break
      batch.push(...(input.takeReady(this.#maxBatch - batch.length) ?? []))
    }
    return batch
  }

  #behindTip(checkpoint: bigint): boolean {
    const tip = this.#tip()
    return tip !== undefined && checkpoint < tip
  }

  async #prepare(batch: readonly DecidedCheckpoint[]): Promise<PreparedBatch> {
    const first = batch[0]!
    const last = batch[batch.length - 1]!
    const relevant = await this.#details.withDetails(batch.flatMap((checkpoint) => checkpoint.relevant), first.sequenceNumber, last.sequenceNumber)
    return {first: first.sequenceNumber, last: last.sequenceNumber, lastTimestampMs: last.timestampMs, transactions: batch.reduce((n, c) => n + c.transactions, 0), relevant}
  }
}
