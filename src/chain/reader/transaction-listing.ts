// Checkpointed transactions that affect given addresses, read with LedgerService.ListTransactions
// (sui.rpc.v2, added to fullnodes in 2026): one affected-address term per address, the terms
// OR-ed, so the node scans its index once for all of them. Where it serves this, `confio
// backfill` reads an account's past from it instead of scanning every checkpoint.
//
// A stream ends early by design: at the node's item limit (ITEM_LIMIT, on the last item), or when
// a filtered scan has spent its per-request budget (SCAN_LIMIT, no item). Every frame carries a
// watermark whose cursor is the safe place to resume (`options.after`), so the listing strings
// streams together until the range's own end. A node without the method answers UNIMPLEMENTED:
// remembered for the life of the reader, and thrown, not retried (the caller scans checkpoints).
import {GrpcTypes} from '@mysten/sui/grpc'
import type {SuiGrpcClient} from '@mysten/sui/grpc'

import type {CallPolicy} from '../transport/call-policy.ts'
import {ChainError, malformedResponse} from '../chain-error.ts'
import type {GrpcStatusName} from '../chain-error.ts'
import type {AffectedTransactionsProgress} from './chain-reader.ts'
import {decodeTransactionDetails} from '../wire/checkpoint-decoder.ts'
import {TRANSACTION_DETAILS_READ_MASK, fieldMask} from '../wire/read-masks.ts'
import type {TransactionDetails} from '../records.ts'
import {normalizeAddress} from '../../sui/identifiers.ts'

const METHOD = 'ListTransactions'
// Items per stream. Larger values are coerced down to the node's maximum (QueryOptions.limit),
// so asking for many is safe, and each stream that ends costs a request and a round trip.
const LIST_LIMIT = 1000
const {CHECKPOINT_BOUND, LEDGER_TIP} = GrpcTypes.QueryEndReason
// Answers about the probe's request rather than about the method: the node has ListTransactions.
const ANSWERED: ReadonlySet<GrpcStatusName> = new Set(['NOT_FOUND', 'OUT_OF_RANGE', 'INVALID_ARGUMENT', 'FAILED_PRECONDITION'])

export type TransactionListingSupport = 'unknown' | 'supported' | 'unimplemented'

export interface TransactionListingDeps {
  /** The generated client, over the transport every other call uses (auth, headers). */
  ledger: Pick<SuiGrpcClient['ledgerService'], 'listTransactions'>
  policy: CallPolicy
}

export class TransactionListing {
  readonly #deps: TransactionListingDeps
  #support: TransactionListingSupport = 'unknown'

  constructor(deps: TransactionListingDeps) {
    this.#deps = deps
  }

  /** Whether the node answered ListTransactions ('unknown' until a listing or a probe asked). */
  get support(): TransactionListingSupport {
    return this.#support
  }

  /** See ChainReader.transactionsAffecting. */
  async *affecting(addresses: readonly string[], from: bigint, to: bigint, signal?: AbortSignal): AsyncGenerator<AffectedTransactionsProgress, void, undefined> {
    const filter = affectedAddressFilter(addresses)
    if (filter === undefined || from > to) return
    const progress = new ListingProgress(from, to)
    for (;;) {
      const resumedFrom = progress.after
      let reason: number | undefined
      try {
        reason = yield* this.#stream(filter, progress, signal)
      } catch (error) {
        if (error instanceof ChainError && error.status === 'UNIMPLEMENTED') this.#support = 'unimplemented'
        // A transient cut after progress: resume from the last watermark. (Without progress the
        // policy has already spent its attempts on this very stream.)
        if (error instanceof ChainError && error.transient && progress.advancedSince(resumedFrom)) continue
        throw error
      }
      if (signal?.aborted || finished(reason, progress, resumedFrom)) return
    }
  }

  /**
   * Asks the node once (then remembers): a ListTransactions for one transaction, unfiltered, which
   * costs a node one index read. UNIMPLEMENTED is false; any other failure than an answer about the
   * request itself is thrown as a ChainError.
   */
  async supported(signal?: AbortSignal): Promise<boolean> {
    if (this.#support !== 'unknown') return this.#support === 'supported'
    const frames = this.#deps.policy.stream(METHOD, (rpc) => this.#deps.ledger.listTransactions({readMask: fieldMask(['digest']), options: {limit: 1}}, rpc), {
      ...(signal ? {signal} : {}),
      idleTimeoutMs: this.#deps.policy.settings.deadlineMs,
    })
    try {
      await frames.next()
      await frames.return(undefined)
    } catch (error) {
      if (!(error instanceof ChainError) || (error.status !== 'UNIMPLEMENTED' && !ANSWERED.has(error.status))) throw error
      this.#support = error.status === 'UNIMPLEMENTED' ? 'unimplemented' : 'supported'
      return this.#support === 'supported'
    }
    if (signal?.aborted) throw signal.reason
    this.#support = 'supported'
    return true
  }

  /** One stream from the last watermark; yields a progress per frame and returns its end reason (undefined: none came). */
  async *#stream(filter: GrpcTypes.TransactionFilter, progress: ListingProgress, signal: AbortSignal | undefined): AsyncGenerator<AffectedTransactionsProgress, number | undefined, undefined> {
    const request: GrpcTypes.ListTransactionsRequest = {
      readMask: fieldMask(TRANSACTION_DETAILS_READ_MASK),
      startCheckpoint: progress.from,
      endCheckpoint: progress.to + 1n, // exclusive
      filter,
      options: {limit: LIST_LIMIT, ...(progress.after ? {after: progress.after} : {})},
    }
    progress.requests += 1
    const frames = this.#deps.policy.stream(METHOD, (rpc) => this.#deps.ledger.listTransactions(request, rpc), {
      ...(signal ? {signal} : {}),
      idleTimeoutMs: this.#deps.policy.settings.deadlineMs,
    })
    let reason: number | undefined
    for await (const frame of frames) {
      this.#support = 'supported'
      const transactions = frame.transaction ? progress.deliver(frame.transaction) : []
      progress.advance(frame)
      if (frame.end !== undefined) reason = frame.end.reason ?? GrpcTypes.QueryEndReason.UNKNOWN
      yield {transactions, coveredThrough: progress.coveredThrough, requests: progress.requests}
    }
    return reason
  }
}

/**
 * Whether the listing is complete after a stream that ended with `reason`. CHECKPOINT_BOUND is
 * the range's own end. LEDGER_TIP short of it means the node has not indexed that far yet.
 * Anything else (ITEM_LIMIT, SCAN_LIMIT, a stream cut without an end, a reason this reader does
 * not know) goes on from the watermark, provided it moved: a node that ends streams without
 * moving it would otherwise be asked the same forever.
 */
function finished(reason: number | undefined, progress: ListingProgress, resumedFrom: Uint8Array | undefined): boolean {
  if (reason === CHECKPOINT_BOUND) return true
  if (reason === LEDGER_TIP) {
    if ((progress.coveredThrough ?? progress.from - 1n) >= progress.to) return true
    throw new ChainError({
      method: METHOD,
      status: 'OUT_OF_RANGE',
      attempts: 1,
      transient: true,
      details: `checkpoint ${progress.to} is beyond what the node has indexed (covered through ${progress.coveredThrough ?? 'none'})`,
    })
  }
  if (progress.advancedSince(resumedFrom)) return false
  throw malformed(`the stream ended (${reasonName(reason)}) without moving its watermark`)
}

/** Where a listing has got to across its streams, and what it has delivered. */
class ListingProgress {
  readonly from: bigint
  readonly to: bigint
  requests = 0
  /** The last watermark cursor: where the next stream starts. */
  after: Uint8Array | undefined
  coveredThrough: bigint | undefined
  /** The checkpoint of the last transaction delivered and the digests delivered at it. */
  #checkpoint: bigint | undefined
  #digests = new Set<string>()

  constructor(from: bigint, to: bigint) {
    this.from = from
    this.to = to
  }

  /**
   * The frame's transaction, decoded, unless it was delivered already (a resumed stream may repeat
   * one). Transactions must come in checkpoint order and inside the range: anything else is a
   * malformed reply, since a listing that skipped back could not be trusted to be complete.
   */
  deliver(transaction: GrpcTypes.ExecutedTransaction): TransactionDetails[] {
    const checkpoint = transaction.checkpoint
    if (checkpoint === undefined) throw malformed(`transaction ${transaction.digest ?? '?'} without its checkpoint`)
    if (checkpoint < this.from || checkpoint > this.to) throw malformed(`transaction ${transaction.digest ?? '?'} at checkpoint ${checkpoint}, outside ${this.from}..${this.to}`)
    if (this.#checkpoint !== undefined && checkpoint < this.#checkpoint) throw malformed(`transaction at checkpoint ${checkpoint} after one at ${this.#checkpoint}`)
    const record = decodeTransactionDetails(transaction, checkpoint)
    if (checkpoint !== this.#checkpoint) [this.#checkpoint, this.#digests] = [checkpoint, new Set()]
    if (record.digest !== '' && this.#digests.has(record.digest)) return []
    this.#digests.add(record.digest)
    return [record]
  }

  /** Takes the frame's watermark; `coveredThrough` never goes back, and a CHECKPOINT_BOUND end covers the range. */
  advance(frame: GrpcTypes.ListTransactionsResponse): void {
    const cursor = frame.watermark?.cursor
    if (cursor === undefined || cursor.length === 0) throw malformed('a frame without a watermark cursor')
    this.after = cursor
    const covered = frame.end?.reason === CHECKPOINT_BOUND ? this.to : frame.watermark?.checkpoint
    if (covered === undefined) return
    const bounded = covered > this.to ? this.to : covered
    if (this.coveredThrough === undefined || bounded > this.coveredThrough) this.coveredThrough = bounded
  }

  advancedSince(cursor: Uint8Array | undefined): boolean {
    return this.after !== undefined && (cursor === undefined || Buffer.compare(this.after, cursor) !== 0)
  }
}

/** One term per address, so a transaction affecting any of them matches; undefined for none. */
function affectedAddressFilter(addresses: readonly string[]): GrpcTypes.TransactionFilter | undefined {
  // Checked before anything is sent (ChainReader's error policy): a TypeError for a malformed one.
  const unique = [...new Set(addresses.map((address) => normalizeAddress(address)))]
  if (unique.length === 0) return undefined
  return {
    terms: unique.map((address) => ({literals: [{negated: false, predicate: {oneofKind: 'affectedAddress', affectedAddress: {address}}}]})),
  }
}

function reasonName(reason: number | undefined): string {
  return reason === undefined ? 'no end' : (GrpcTypes.QueryEndReason[reason] ?? `reason ${reason}`)
}

/** A reply the node sent but that does not hold what was asked: not retried, reported as DATA_LOSS. */
function malformed(details: string): ChainError {
  return malformedResponse(METHOD, details)
}
