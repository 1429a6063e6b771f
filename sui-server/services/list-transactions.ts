// LedgerService.ListTransactions (sui.rpc.v2, 2026): checkpointed transactions in ledger order,
// optionally filtered (transaction-filter.ts), over one server stream that may end early.
//
// The interval is [start_checkpoint, end_checkpoint) ∩ (after, before); start defaults to the
// lowest available checkpoint and end to just past the tip as of the request. Ascending only:
// DESCENDING answers UNIMPLEMENTED. Frames, as ledger_service.proto and query_options.proto say:
//  - one per matching transaction, with its watermark;
//  - a progress frame (watermark only) after every PROGRESS_EVERY checkpoints scanned without
//    a frame, so a sparse filter does not look like a dead stream;
//  - `end` exactly once, on the final frame: ITEM_LIMIT rides on the last item; SCAN_LIMIT (a
//    filtered scan examined `scanLimit` checkpoints and more remain), CHECKPOINT_BOUND,
//    CURSOR_BOUND and LEDGER_TIP come alone.
// Watermark.checkpoint is the last checkpoint this request has scanned completely (unset before
// the first); Watermark.cursor is the position reached, the resume point for `after`.
import {GrpcTypes} from '@mysten/sui/grpc'
import type {CheckpointRecord, TransactionRecord} from '../chain-builder.ts'
import {type FrameSink, rpcError} from '../grpc-server.ts'
import type {Ledger} from '../ledger.ts'
import {masked} from '../masked.ts'
import {executedTransactionMessage, topLevelFields} from '../proto-messages.ts'
import {type TransactionPredicate, compileFilter} from '../transaction-filter.ts'

export interface ListTransactionsOptions {
  /** Checkpoints a filtered request examines before it ends with SCAN_LIMIT. */
  scanLimit: number
  /** The most items a request returns; larger limits are coerced down to it. */
  maxLimit: number
}

/** Checkpoints a filtered scan examines per request unless the server is told otherwise. */
export const DEFAULT_SCAN_LIMIT = 1000
/** The most items a request returns unless the server is told otherwise. */
export const DEFAULT_MAX_LIMIT = 1000
/** Item limit when the request sets none. */
const DEFAULT_LIMIT = 50
/** Checkpoints scanned without sending anything before a progress frame goes out. */
export const PROGRESS_EVERY = 100
const DEFAULT_READ_MASK = ['digest']

/**
 * A ledger position, encoded as the opaque 16-byte cursor (two big-endian u64s): a checkpoint and
 * a slot in it. Slot 0 lies before the checkpoint's first transaction, slot i + 1 is transaction
 * i, and PAST_CHECKPOINT lies after its last, so a cursor can name a checkpoint boundary too.
 */
interface Position {
  checkpoint: bigint
  slot: bigint
}
const PAST_CHECKPOINT = 2n ** 64n - 1n

interface Interval {
  /** Exclusive: only positions after it. */
  lower: Position
  /** Exclusive: only positions before it. */
  upper: Position
  boundedBy: 'tip' | 'checkpoint' | 'cursor'
}

export async function listTransactions(ledger: Ledger, request: GrpcTypes.ListTransactionsRequest, sink: FrameSink, opts: ListTransactionsOptions): Promise<void> {
  if (request.options?.ordering === GrpcTypes.Ordering.DESCENDING) throw rpcError('UNIMPLEMENTED', 'descending ListTransactions is not modelled by the confio test server')
  const paths = request.readMask?.paths
  masked(GrpcTypes.ExecutedTransaction, GrpcTypes.ExecutedTransaction.create(), paths, DEFAULT_READ_MASK) // validates the mask up front
  const matches = compileFilter(request.filter)
  const interval = intervalOf(ledger, request)
  const limit = Math.min(request.options?.limit || DEFAULT_LIMIT, opts.maxLimit)
  const scan = new Scan(sink, interval, paths)
  // Unfiltered, every transaction is an item, so the item limit bounds the work on its own.
  const scanLimit = matches ? opts.scanLimit : Infinity
  const [first, last] = checkpointsOf(interval)
  for (let seq = first; seq <= last; seq++) {
    if (scan.examined >= scanLimit) return scan.finish(GrpcTypes.QueryEndReason.SCAN_LIMIT)
    const cp = ledger.checkpoint(seq)
    if (!cp) throw rpcError('NOT_FOUND', `checkpoint ${seq} has been pruned; lowest available is ${ledger.lowestAvailableCheckpoint}`)
    const outcome = await scan.checkpoint(cp, matches, limit)
    if (outcome !== 'scanned') return
  }
  const reason = {tip: GrpcTypes.QueryEndReason.LEDGER_TIP, checkpoint: GrpcTypes.QueryEndReason.CHECKPOINT_BOUND, cursor: GrpcTypes.QueryEndReason.CURSOR_BOUND}[interval.boundedBy]
  await scan.finish(reason)
}

/** One request's progress through its interval, and the frames that report it. */
class Scan {
  readonly #sink: FrameSink
  readonly #interval: Interval
  readonly #paths: readonly string[] | undefined
  readonly #fields: ReadonlySet<string>
  /** Checkpoints examined so far (the first may be partial). */
  examined = 0
  #items = 0
  /** The last checkpoint scanned completely. */
  #covered: bigint | undefined
  /** The position reached: the last item sent, or the end of the last checkpoint scanned. */
  #frontier: Position
  #quiet = 0

  constructor(sink: FrameSink, interval: Interval, paths: readonly string[] | undefined) {
    this.#sink = sink
    this.#interval = interval
    this.#paths = paths
    this.#fields = topLevelFields(paths?.length ? paths : DEFAULT_READ_MASK)
    this.#frontier = interval.lower
  }

  /** Sends the checkpoint's matches; 'stopped' when the stream has ended (item limit, client gone). */
  async checkpoint(cp: CheckpointRecord, matches: TransactionPredicate | undefined, limit: number): Promise<'scanned' | 'stopped'> {
    this.examined += 1
    for (const [index, t] of cp.transactions.entries()) {
      const position = {checkpoint: cp.sequenceNumber, slot: BigInt(index) + 1n}
      if (!this.#inside(position) || (matches && !matches(t))) continue
      this.#items += 1
      const last = this.#items >= limit
      if (!(await this.#sendItem(cp, t, index, position, last))) return 'stopped'
      if (last) return 'stopped'
    }
    // A `before` cursor inside this checkpoint leaves the rest of it unscanned.
    const {upper} = this.#interval
    if (upper.checkpoint === cp.sequenceNumber && upper.slot > 0n) return 'scanned'
    this.#covered = cp.sequenceNumber
    this.#frontier = {checkpoint: cp.sequenceNumber, slot: PAST_CHECKPOINT}
    this.#quiet += 1
    if (this.#quiet < PROGRESS_EVERY) return 'scanned'
    this.#quiet = 0
    return (await this.#sink.send(this.#frame())) ? 'scanned' : 'stopped'
  }

  /** The final frame: no item, the end reason and the watermark; CURSOR_BOUND reports the bound itself. */
  async finish(reason: GrpcTypes.QueryEndReason): Promise<void> {
    if (reason === GrpcTypes.QueryEndReason.CURSOR_BOUND) this.#frontier = this.#interval.upper
    if (await this.#sink.send(this.#frame({end: {reason}}))) this.#sink.end()
  }

  async #sendItem(cp: CheckpointRecord, t: TransactionRecord, index: number, position: Position, last: boolean): Promise<boolean> {
    this.#frontier = position
    this.#quiet = 0
    const message = executedTransactionMessage(t, {checkpoint: cp, index}, this.#fields)
    const transaction = masked(GrpcTypes.ExecutedTransaction, message, this.#paths, DEFAULT_READ_MASK)
    const end = last ? {end: {reason: GrpcTypes.QueryEndReason.ITEM_LIMIT}} : {}
    const sent = await this.#sink.send(this.#frame({transaction, ...end}))
    if (sent && last) this.#sink.end()
    return sent
  }

  #frame(fields: Partial<GrpcTypes.ListTransactionsResponse> = {}): GrpcTypes.ListTransactionsResponse {
    const watermark = {cursor: cursorOf(this.#frontier), ...(this.#covered === undefined ? {} : {checkpoint: this.#covered})}
    return GrpcTypes.ListTransactionsResponse.create({...fields, watermark})
  }

  #inside(position: Position): boolean {
    return compare(position, this.#interval.lower) > 0 && compare(position, this.#interval.upper) < 0
  }
}

/** The request's interval; a start below the lowest available checkpoint is NOT_FOUND, as GetCheckpoint and ListCheckpoints answer. */
function intervalOf(ledger: Ledger, request: GrpcTypes.ListTransactionsRequest): Interval {
  const tipEnd = ledger.checkpointHeight + 1n
  let end = request.endCheckpoint ?? tipEnd
  let boundedBy: Interval['boundedBy'] = request.endCheckpoint === undefined ? 'tip' : 'checkpoint'
  if (end > tipEnd) [end, boundedBy] = [tipEnd, 'tip']
  let lower: Position = {checkpoint: request.startCheckpoint ?? ledger.lowestAvailableCheckpoint, slot: 0n}
  let upper: Position = {checkpoint: end, slot: 0n}
  const after = request.options?.after?.length ? positionOf(request.options.after) : undefined
  const before = request.options?.before?.length ? positionOf(request.options.before) : undefined
  if (after && compare(after, lower) > 0) lower = after
  if (before && compare(before, upper) < 0) [upper, boundedBy] = [before, 'cursor']
  const [first] = checkpointsOf({lower, upper, boundedBy})
  if (first < ledger.lowestAvailableCheckpoint) {
    throw rpcError('NOT_FOUND', `checkpoint ${first} has been pruned; lowest available is ${ledger.lowestAvailableCheckpoint}`)
  }
  return {lower, upper, boundedBy}
}

/** The first and last checkpoints holding positions of the interval (first > last when none). */
function checkpointsOf(interval: Interval): [bigint, bigint] {
  const {lower, upper} = interval
  const first = lower.slot === PAST_CHECKPOINT ? lower.checkpoint + 1n : lower.checkpoint
  const last = upper.slot === 0n ? upper.checkpoint - 1n : upper.checkpoint
  return [first, last]
}

function compare(a: Position, b: Position): number {
  if (a.checkpoint !== b.checkpoint) return a.checkpoint < b.checkpoint ? -1 : 1
  return a.slot === b.slot ? 0 : a.slot < b.slot ? -1 : 1
}

function cursorOf(position: Position): Uint8Array {
  const bytes = Buffer.alloc(16)
  bytes.writeBigUInt64BE(position.checkpoint)
  bytes.writeBigUInt64BE(position.slot, 8)
  return bytes
}

function positionOf(cursor: Uint8Array): Position {
  if (cursor.length !== 16) throw rpcError('INVALID_ARGUMENT', 'invalid cursor')
  const bytes = Buffer.from(cursor)
  return {checkpoint: bytes.readBigUInt64BE(), slot: bytes.readBigUInt64BE(8)}
}
