// Reads a range of checkpoints in order. ListCheckpoints (added to fullnodes mid-2026) streams
// the whole range over one request, which is both faster and kinder to a provider's rate limit
// than one GetCheckpoint per sequence number. A node without it answers UNIMPLEMENTED; that is
// remembered for the life of the reader so the question is asked once, and the range is read
// with GetCheckpoint, several in flight, yielded in order.
import type {CallPolicy} from '../transport/call-policy.ts'
import {ChainError} from '../chain-error.ts'
import {decodeCheckpoint, decodeScreenedCheckpoint} from '../wire/checkpoint-decoder.ts'
import type {CheckpointMethods} from '../wire/checkpoint-methods.ts'
import {readListCheckpointsResponse} from '../wire/checkpoint-wire.ts'
import type {WireCheckpoint} from '../wire/checkpoint-wire.ts'
import {CHECKPOINT_READ_MASK, fieldMask} from '../wire/read-masks.ts'
import type {WireObserver} from '../wire/wire-observer.ts'
import type {CheckpointRecord, ScreenedCheckpointRecord} from '../records.ts'
import type {TransactionScreen} from '../wire/transaction-screen.ts'
import {messageOf} from '../../errors.ts'

// Items per ListCheckpoints stream. Without a limit a node applies its default (the test server's
// is 50, like the node's page defaults), and every stream that ends costs a new request and a
// round trip; larger values are coerced down to the node's maximum (QueryOptions.limit), so
// asking for many is safe.
const LIST_LIMIT = 1000

export type ListCheckpointsSupport = 'unknown' | 'supported' | 'unimplemented'

export interface CheckpointRangeDeps {
  methods: CheckpointMethods
  policy: CallPolicy
  /** GetCheckpoint through the reader (same policy, same decoding). */
  getCheckpoint: (sequence: bigint, signal: AbortSignal) => Promise<CheckpointRecord>
  /** GetCheckpoint calls in flight at once in the fallback. */
  window: number
  /** Told what the wire reader meets and does not know. */
  observer: WireObserver
}

/** How a read makes its records: from a ListCheckpoints frame, or from a GetCheckpoint record. */
interface RecordShape<R> {
  readonly screen?: TransactionScreen
  readonly decode: (wire: WireCheckpoint) => R
  readonly fetched: (checkpoint: CheckpointRecord) => R
}

export class CheckpointRangeReader {
  readonly #deps: CheckpointRangeDeps
  #support: ListCheckpointsSupport = 'unknown'

  constructor(deps: CheckpointRangeDeps) {
    this.#deps = deps
  }

  get listCheckpointsSupport(): ListCheckpointsSupport {
    return this.#support
  }

  read(from: bigint, to: bigint, signal?: AbortSignal): AsyncGenerator<CheckpointRecord, void, undefined> {
    const decode = (wire: WireCheckpoint) => decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors)
    return this.#read(from, to, signal, {decode, fetched: (checkpoint) => checkpoint})
  }

  /**
   * read(), each transaction first put to `screen` on the wire: only those that may matter are
   * decoded. (GetCheckpoint, where the node has no ListCheckpoints, decodes them all.)
   */
  readScreened(from: bigint, to: bigint, screen: TransactionScreen, signal?: AbortSignal): AsyncGenerator<ScreenedCheckpointRecord, void, undefined> {
    return this.#read(from, to, signal, {
      screen,
      decode: decodeScreenedCheckpoint,
      fetched: (checkpoint) => ({...checkpoint, screened: true, transactionCount: checkpoint.transactions.length}),
    })
  }

  async *#read<R extends {sequenceNumber: bigint}>(from: bigint, to: bigint, signal: AbortSignal | undefined, as: RecordShape<R>): AsyncGenerator<R, void, undefined> {
    let next = from
    if (this.#support !== 'unimplemented') {
      for await (const checkpoint of this.#streamed(from, to, signal, as)) {
        next = checkpoint.sequenceNumber + 1n
        yield checkpoint
      }
      // #streamed returns early, without an error, only when it found the method missing.
      if (this.listCheckpointsSupport !== 'unimplemented' || signal?.aborted) return
    }
    for await (const checkpoint of this.#oneByOne(next, to, signal)) yield as.fetched(checkpoint)
  }

  /**
   * ListCheckpoints from `from` to `to`. The node may end a stream early (its item limit, a
   * dropped connection): the next stream starts after the last checkpoint received, so each is
   * yielded once. Returns early, with #support set, if the node turns out not to have it.
   */
  async *#streamed<R extends {sequenceNumber: bigint}>(from: bigint, to: bigint, signal: AbortSignal | undefined, as: RecordShape<R>): AsyncGenerator<R, void, undefined> {
    let next = from
    while (next <= to && !signal?.aborted) {
      const start = next
      const stream = this.#deps.policy.stream(
        'ListCheckpoints',
        (rpc) =>
          this.#deps.methods.listCheckpoints(
            {readMask: fieldMask(CHECKPOINT_READ_MASK), startCheckpoint: start, endCheckpoint: to + 1n, options: {limit: LIST_LIMIT}},
            rpc,
          ),
        {signal, idleTimeoutMs: this.#deps.policy.settings.deadlineMs},
      )
      let endReason: number | undefined
      try {
        for await (const bytes of stream) {
          // Decoded here, as it is consumed, so what waits in the transport's queue is bytes.
          const frame = decodeFrame(bytes.bytes, this.#deps.observer, as.screen)
          if (frame.end !== undefined) endReason = frame.end.reason
          if (frame.checkpoint === undefined) continue
          this.#support = 'supported'
          const checkpoint = as.decode(frame.checkpoint)
          // Frames never regress, but may repeat after a resume; a gap would lose transactions.
          if (checkpoint.sequenceNumber < next) continue
          if (checkpoint.sequenceNumber > next) {
            throw new ChainError({method: 'ListCheckpoints', status: 'DATA_LOSS', attempts: 1, transient: false, details: `expected checkpoint ${next}, got ${checkpoint.sequenceNumber}`})
          }
          next += 1n
          yield checkpoint
        }
      } catch (error) {
        if (error instanceof ChainError && error.status === 'UNIMPLEMENTED' && this.#support === 'unknown') {
          this.#support = 'unimplemented'
          return
        }
        // A transient failure after progress: open a new stream from where this one stopped.
        // (Without progress the policy has already spent its attempts on this very stream.)
        if (error instanceof ChainError && error.transient && next > start) continue
        throw error
      }
      if (next <= to && next === start) {
        // A complete stream that delivered nothing: the range lies beyond what the node has.
        throw new ChainError({
          method: 'ListCheckpoints',
          status: 'OUT_OF_RANGE',
          attempts: 1,
          transient: true,
          details: `checkpoint ${next} is not available (stream ended${endReason === undefined ? '' : ` with reason ${endReason}`})`,
        })
      }
    }
  }

  /** GetCheckpoint per sequence number, `window` in flight, yielded in order. */
  async *#oneByOne(from: bigint, to: bigint, signal: AbortSignal | undefined): AsyncGenerator<CheckpointRecord, void, undefined> {
    const controller = new AbortController()
    const onAbort = (): void => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, {once: true})
    const inFlight: Array<Promise<CheckpointRecord>> = []
    let issued = from
    try {
      for (let next = from; next <= to; next++) {
        while (issued <= to && inFlight.length < this.#deps.window) {
          const request = this.#deps.getCheckpoint(issued, controller.signal)
          // Settled out of order: mark it handled now, it is awaited in its turn.
          request.catch(() => {})
          inFlight.push(request)
          issued += 1n
        }
        let checkpoint: CheckpointRecord
        try {
          checkpoint = await (inFlight.shift() as Promise<CheckpointRecord>)
        } catch (error) {
          if (signal?.aborted) return
          throw error
        }
        yield checkpoint
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      // The consumer stopped early or a read failed: cancel what is still in flight.
      controller.abort()
    }
  }
}

/**
 * A frame whose envelope is not protobuf fails the read as it did when grpc-js decoded it (its
 * "Failed to parse server response" is INTERNAL, not retried): the node sent garbage, and reading
 * it again would not help. (Malformed transaction bytes inside a checkpoint are not this: they are
 * kept, with a parse error, by the decoder.)
 */
function decodeFrame(bytes: Uint8Array, observer: WireObserver, screen: TransactionScreen | undefined): ReturnType<typeof readListCheckpointsResponse> {
  try {
    return readListCheckpointsResponse(bytes, observer, screen)
  } catch (error) {
    throw new ChainError({method: 'ListCheckpoints', status: 'INTERNAL', attempts: 1, transient: false, details: `failed to parse server response: ${messageOf(error)}`})
  }
}
