// The poller's details stage. Checkpoints arrive as read for relevance: events without their JSON.
// This stage gathers decided checkpoints into batches and fetches each batch's relevant
// transactions in full (DetailsFetcher: one BatchGetTransactions per batch, ~1% of the
// transactions read), so raw_blockchain_events holds what the workers parse.
//
// Contract. Takes decided checkpoints, consecutive, and puts one prepared batch per take (what was
// there, up to `maxBatch` checkpoints), in order, as a promise: its fetch has begun, and the
// commit stage awaits it in turn. The output channel's size bounds the fetches under way, so the
// node works on the next batches while the database writes one. Error policy: a transaction it
// cannot fetch in full rejects its batch's promise (TransactionDetailsError, after retrying what
// may pass, within the deadline), so nothing of that batch is stored and the cursor stays before
// it; it is never stored without it, nor skipped. The poller's stop ends a fetch and its backoff
// at once (the promise then rejects with the stop's reason). A failure of its input is passed on
// after the batches before it. Its log lines (a fetch retried) carry `step: details`.
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
}

export class BatchPreparer {
  readonly name = 'details'
  readonly #details: DetailsFetcher
  readonly #maxBatch: number

  constructor(options: BatchPreparerOptions) {
    const logger = options.logger?.child({step: this.name})
    this.#details = new DetailsFetcher({chain: options.chain, retry: options.retry, signal: options.signal, logger, position: options.position})
    this.#maxBatch = options.maxBatch ?? 250
  }

  run(input: BoundedChannel<DecidedCheckpoint>, output: BoundedChannel<Promise<PreparedBatch>>): Promise<void> {
    return relay(input, output, this.#maxBatch, (batch) => {
      const prepared = this.#prepare(batch)
      prepared.catch(() => undefined) // awaited by the commit stage; this only keeps a failure it never reaches (a stop) from being "unhandled"
      return [prepared]
    })
  }

  async #prepare(batch: readonly DecidedCheckpoint[]): Promise<PreparedBatch> {
    const first = batch[0]!
    const last = batch[batch.length - 1]!
    const relevant = await this.#details.withDetails(batch.flatMap((checkpoint) => checkpoint.relevant), first.sequenceNumber, last.sequenceNumber)
    return {first: first.sequenceNumber, last: last.sequenceNumber, lastTimestampMs: last.timestampMs, transactions: batch.reduce((n, c) => n + c.transactions, 0), relevant}
  }
}
