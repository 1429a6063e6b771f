// Where checkpoints come from, in order, each once, starting at a given sequence number.
//
// - range: read `next .. tip` with the chain layer's range reader (ListCheckpoints, or
//   GetCheckpoint with bounded concurrency), then look for a new tip.
// - stream: SubscribeCheckpoints, which starts at the tip and cannot resume; any gap between
//   `next` and the first streamed checkpoint (after every reconnect too) is filled with the
//   range reader before streamed checkpoints are used.
// - poll: like range, waiting `intervalMs` whenever it is caught up.
// - auto (default): range while more than `streamLag` behind, stream near the tip, and poll for a
//   while when streaming keeps failing.
import type {ChainLogger, ChainReader, CheckpointView, TransactionScreen} from '../chain/index.ts'
import {PrunedRangeError} from './pruned-range-error.ts'
import {messageOf} from '../errors.ts'
import {pause} from '../support/pause.ts'

export const FOLLOW_MODES = ['auto', 'stream', 'poll'] as const
export type FollowMode = (typeof FOLLOW_MODES)[number]

export interface CheckpointSourceOptions {
  readonly mode: FollowMode
  readonly intervalMs: number
  /** Stop after this checkpoint (`--once`: the tip seen at start). */
  readonly stopAfter?: bigint
  /** auto: how far behind the tip still counts as near it. */
  readonly streamLag?: number
  /** auto: stream failures in a row before polling for `pollAfterFailuresMs`. */
  readonly maxStreamFailures?: number
  readonly pollAfterFailuresMs?: number
  /** A stream silent this long is dead. */
  readonly streamIdleMs?: number
  /** Told when streaming fails (it says so, and how it goes on). */
  readonly logger?: ChainLogger
  /** Called with each tip seen (for lag metrics). */
  readonly onTip?: (tip: bigint, timestampMs: number) => void
  /**
   * Range reads decode only the transactions this lets through (streamed checkpoints, a few per
   * second, come whole). It is asked as each checkpoint is taken.
   */
  readonly screen?: TransactionScreen
}

export class CheckpointSource {
  private readonly chain: ChainReader
  private readonly options: CheckpointSourceOptions
  private next: bigint
  private streamFailures = 0
  private pollUntil = 0

  constructor(chain: ChainReader, start: bigint, options: CheckpointSourceOptions) {
    this.chain = chain
    this.next = start
    this.options = options
  }

  async *checkpoints(signal: AbortSignal): AsyncGenerator<CheckpointView> {
    const {stopAfter} = this.options
    while (!signal.aborted) {
      if (stopAfter !== undefined && this.next > stopAfter) return
      const tip = await this.tip(signal)
      const target = stopAfter !== undefined && stopAfter < tip ? stopAfter : tip
      if (stopAfter !== undefined || !this.shouldStream(tip)) {
        if (this.next <= target) yield* this.range(this.next, target, signal)
        else await pause(this.options.intervalMs, signal)
      } else {
        // Catch up to the tip first: a stream only brings what comes after it, and may be quiet.
        if (this.next <= tip) yield* this.range(this.next, tip, signal)
        yield* this.stream(signal)
      }
    }
  }

  private shouldStream(tip: bigint): boolean {
    if (this.options.mode === 'poll') return false
    if (this.options.mode === 'stream') return true
    if (Date.now() < this.pollUntil) return false
    return tip - this.next <= BigInt(this.options.streamLag ?? 20)
  }

  private async tip(signal: AbortSignal): Promise<bigint> {
    const info = await this.chain.serviceInfo({signal})
    if (this.next < info.lowestAvailableCheckpoint) throw new PrunedRangeError(this.next, info.lowestAvailableCheckpoint)
    this.options.onTip?.(info.checkpointHeight, info.timestampMs)
    return info.checkpointHeight
  }

  private async *range(from: bigint, to: bigint, signal: AbortSignal): AsyncGenerator<CheckpointView> {
    try {
      const {screen} = this.options
      const checkpoints = screen ? this.chain.screenedCheckpoints(from, to, screen, {signal}) : this.chain.checkpoints(from, to, {signal})
      for await (const checkpoint of checkpoints) yield this.accept(checkpoint)
    } catch (error) {
      // A range that vanished while being read is a pruning race: say so, not NOT_FOUND.
      if ((error as {status?: string}).status === 'NOT_FOUND') await this.tip(signal)
      throw error
    }
  }

  private async *stream(signal: AbortSignal): AsyncGenerator<CheckpointView> {
    const streamStop = new AbortController()
    const stopStream = () => streamStop.abort()
    signal.addEventListener('abort', stopStream, {once: true})
    // A stop that came while catching up has no event left to fire.
    if (signal.aborted) stopStream()
    try {
      for await (const checkpoint of this.chain.subscribe(streamStop.signal, {idleTimeoutMs: this.options.streamIdleMs ?? 30_000})) {
        this.options.onTip?.(checkpoint.sequenceNumber, checkpoint.timestampMs)
        if (checkpoint.sequenceNumber < this.next) continue
        if (checkpoint.sequenceNumber > this.next) yield* this.range(this.next, checkpoint.sequenceNumber - 1n, signal)
        yield this.accept(checkpoint)
        this.streamFailures = 0
      }
    } catch (error) {
      if (signal.aborted || error instanceof PrunedRangeError) throw error
      this.streamFailed(error)
      await pause(Math.min(500 * 2 ** this.streamFailures, 10_000), signal)
    } finally {
      signal.removeEventListener('abort', stopStream)
      streamStop.abort()
    }
  }

  private streamFailed(error: unknown): void {
    this.streamFailures++
    const max = this.options.maxStreamFailures ?? 3
    this.options.logger?.warn({err: messageOf(error), failures: this.streamFailures}, 'checkpoint stream failed; filling the gap and reconnecting')
    if (this.options.mode === 'auto' && this.streamFailures >= max) {
      this.pollUntil = Date.now() + (this.options.pollAfterFailuresMs ?? 60_000)
      this.streamFailures = 0
      this.options.logger?.warn({pollMs: this.options.pollAfterFailuresMs ?? 60_000}, 'streaming keeps failing; polling for a while')
    }
  }

  private accept<C extends CheckpointView>(checkpoint: C): C {
    if (checkpoint.sequenceNumber !== this.next) {
      throw new Error(`checkpoint source: got ${checkpoint.sequenceNumber} while expecting ${this.next}`)
    }
    this.next++
    return checkpoint
  }
}
