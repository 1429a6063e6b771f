// The poller's decide stage: which transactions of each checkpoint read are kept, with the account
// set of the moment it decides. What travels on to the commit is a checkpoint's place and its few
// relevant transactions, not the objects of a decoded checkpoint, so the rest dies young and cheap
// for the garbage collector.
//
// Contract. Takes checkpoints as read (consecutive, each once) and puts one DecidedCheckpoint per
// checkpoint, in order. Each take is decided in one synchronous turn, so an account set refreshed
// meanwhile applies from the next checkpoint to decide (`next`) on. Error policy: undecodable
// transactions past the decoding guard's limits fail its output with DecodingFloodError before
// any checkpoint of that take is put; what was put before still commits, so the cursor stops
// right before the take. A failure of its input is passed on the same way. It writes no log lines
// (a flood ends the run, and the command says it).
import type {CheckpointView, TransactionRecord} from '../chain/index.ts'
import {type BoundedChannel, relay} from './bounded-channel.ts'
import {DecodingGuard, type DecodingLimits, transactionCountOf} from './decoding-guard.ts'
import type {RelevanceFilter, RelevanceReason} from './relevance-filter.ts'

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

export interface RelevanceDeciderOptions {
  readonly filter: RelevanceFilter
  /** The first checkpoint it will be given. */
  readonly start: bigint
  /** When undecodable transactions stop the poller (default: over 1% of the last 1,000, or 20 in a row). */
  readonly decodingLimits?: DecodingLimits
}

// Checkpoints decided in one turn at most: the read stage's channel holds fewer, so a take is
// whatever the reader has put.
const DECIDE_AT_ONCE = 100

export class RelevanceDecider {
  readonly name = 'decide'
  readonly #filter: RelevanceFilter
  readonly #decoding: DecodingGuard
  #next: bigint

  constructor(options: RelevanceDeciderOptions) {
    this.#filter = options.filter
    this.#decoding = new DecodingGuard(options.decodingLimits)
    this.#next = options.start
  }

  /** The next checkpoint to decide: an account set changed now applies from it on. */
  get next(): bigint {
    return this.#next
  }

  run(input: BoundedChannel<CheckpointView>, output: BoundedChannel<DecidedCheckpoint>): Promise<void> {
    return relay(input, output, (from) => from.take(DECIDE_AT_ONCE), (checkpoints) => this.#decide(checkpoints))
  }

  /** Synchronous: nothing changes the account set between its first checkpoint and its last. */
  #decide(checkpoints: readonly CheckpointView[]): DecidedCheckpoint[] {
    this.#decoding.check(checkpoints)
    const decided = checkpoints.map((checkpoint) => ({
      sequenceNumber: checkpoint.sequenceNumber,
      timestampMs: checkpoint.timestampMs,
      transactions: transactionCountOf(checkpoint),
      relevant: this.#relevantOf(checkpoint),
    }))
    this.#next = checkpoints[checkpoints.length - 1]!.sequenceNumber + 1n
    return decided
  }

  #relevantOf(checkpoint: CheckpointView): RelevantTransaction[] {
    const relevant: RelevantTransaction[] = []
    for (const tx of checkpoint.transactions) {
      const reasons = this.#filter.reasons(tx)
      if (reasons.length > 0) relevant.push({tx, reasons})
    }
    return relevant
  }
}
