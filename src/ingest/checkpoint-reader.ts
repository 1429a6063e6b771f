// The poller's read stage: checkpoints in order from the cursor on (CheckpointSource: range reads,
// the stream near the tip), each screened on the wire as it is read (RelevanceScreen: only the
// transactions that may be relevant are decoded, most of the poller's CPU was decoding the rest).
//
// Contract. Puts each checkpoint once, consecutive from `start`, once the account set is loaded
// (reading screens with it), and says how far it has screened (`next`): an account set changed now
// screens from that checkpoint on, so an account picked up counts from there and what came before
// is left to a history fill; and the tip it last saw (`tip`), up to which the details stage's
// catch-up batches wait for checkpoints. Error policy: a read cut short by the poller's stop
// closes its output (the normal way out); any other failure (a chain error the chain layer's
// attempts did not get past, a pruned range, a failed account load) fails it, so the stages behind
// finish what was read and then see the error; the poller decides whether it is an outage to wait
// out. Its log lines (the stream failing, polling for a while) carry `step: read`.
import type {ChainReader, CheckpointView, TransactionScreen} from '../chain/index.ts'
import type {Logger} from '../logging/logger.ts'
import type {BoundedChannel} from './bounded-channel.ts'
import {CheckpointSource, type CheckpointSourceOptions} from './checkpoint-source.ts'

export interface CheckpointReaderOptions extends Omit<CheckpointSourceOptions, 'logger' | 'screen'> {
  readonly screen: TransactionScreen
  readonly logger: Logger
}

export class CheckpointReader {
  readonly name = 'read'
  readonly #source: CheckpointSource
  #next: bigint
  #tip: bigint | undefined

  constructor(chain: ChainReader, start: bigint, options: CheckpointReaderOptions) {
    const onTip = (tip: bigint, timestampMs: number) => {
      this.#tip = tip
      options.onTip?.(tip, timestampMs)
    }
    this.#source = new CheckpointSource(chain, start, {...options, onTip, logger: options.logger.child({step: this.name})})
    this.#next = start
  }

  /** The chain's tip as last seen (a streamed checkpoint is one): the checkpoints up to it exist, so a batch may wait for them. */
  get tip(): bigint | undefined {
    return this.#tip
  }

  /** The next checkpoint to screen: an account set changed now screens from it on. */
  get next(): bigint {
    return this.#next
  }

  /** Reads once `ready` (the account set loaded) settles, until `stop` or the source's end. */
  async run(ready: Promise<void>, output: BoundedChannel<CheckpointView>, stop: AbortSignal): Promise<void> {
    try {
      await ready
      for await (const checkpoint of this.#source.checkpoints(stop)) {
        this.#next = checkpoint.sequenceNumber + 1n
        await output.put(checkpoint)
      }
      output.close()
    } catch (error) {
      // A read cut short by the stop signal is the normal way out, not a failure.
      if (stop.aborted) output.close()
      else output.fail(error)
    }
  }
}
