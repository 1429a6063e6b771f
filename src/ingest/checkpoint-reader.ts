// The poller's read stage: checkpoints in order from the cursor on (CheckpointSource: range reads,
// the stream near the tip), each screened on the wire as it is read (RelevanceScreen: only the
// transactions that may be relevant are decoded, most of the poller's CPU was decoding the rest).
//
// Given chain options for it (`confio poll` with POLL_READING_THREAD=on), the reading and
// screening run on a thread of their own (reading-thread.ts: in a catch-up they were half of the
// main thread's time); otherwise on this thread, through the poller's chain reader.
//
// Contract. Puts each checkpoint once, consecutive from `start`, once the account set is loaded
// (reading screens with it). A change of the account set reaches the screen through
// changeScreen(), which says from which checkpoint on it screens with it: an account picked up
// counts from there, and what came before is left to a history fill. It says the tip it last saw
// (`tip`), up to which the details stage's catch-up batches wait for checkpoints. Error policy: a
// read cut short by the poller's stop closes its output (the normal way out); any other failure
// (a chain error the chain layer's attempts did not get past, a pruned range, a failed account
// load) fails it, so the stages behind finish what was read and then see the error; the poller
// decides whether it is an outage to wait out. Its log lines (the stream failing, polling for a
// while; on a thread of its own, its chain reader's too) carry `step: read`.
import type {ChainOptions, ChainReader, CheckpointView} from '../chain/index.ts'
import type {Logger} from '../logging/logger.ts'
import type {BoundedChannel} from './bounded-channel.ts'
import {CheckpointSource, type CheckpointSourceOptions} from './checkpoint-source.ts'
import type {AccountsDelta, MonitoredAccounts} from './monitored-accounts.ts'
import {ReadingThread} from './reading-thread.ts'
import {RelevanceScreen} from './relevance-screen.ts'

export interface CheckpointReaderOptions extends Omit<CheckpointSourceOptions, 'logger' | 'screen'> {
  /** Normalized package ids the screen watches. */
  readonly packages: readonly string[]
  /** The monitored accounts: the screen's set (on a thread of its own, a copy of it once loaded). */
  readonly accounts: MonitoredAccounts
  /** Read and screen on a thread of its own, with a chain reader on these options (none: on this thread, through `chain`). */
  readonly thread?: ChainOptions | undefined
  readonly logger: Logger
}

export class CheckpointReader {
  readonly name = 'read'
  readonly #reading: Reading
  #next: bigint
  #tip: bigint | undefined

  constructor(chain: ChainReader, start: bigint, options: CheckpointReaderOptions) {
    // `source`: the source's settings that are data, what a thread of its own is given too.
    const {packages, accounts, thread, logger: parent, onTip: tipSeen, ...source} = options
    const onTip = (tip: bigint, timestampMs: number) => {
      this.#tip = tip
      tipSeen?.(tip, timestampMs)
    }
    const logger = parent.child({step: this.name})
    this.#reading =
      thread === undefined
        ? this.#onThisThread(new CheckpointSource(chain, start, {...source, screen: new RelevanceScreen(packages, accounts), onTip, logger}))
        : // Started now, so that it loads its modules while the accounts load.
          onItsOwnThread(new ReadingThread({data: {chain: thread, packages, start, source}, logger, onTip}), accounts)
    this.#next = start
  }

  /** The chain's tip as last seen (a streamed checkpoint is one): the checkpoints up to it exist, so a batch may wait for them. */
  get tip(): bigint | undefined {
    return this.#tip
  }

  /**
   * Hands a refresh's change of accounts to the screen; `applied` runs at the moment it takes
   * effect, with the next checkpoint to be screened (see ScreenChange in monitored-accounts.ts).
   */
  changeScreen(delta: AccountsDelta, applied: (nextToScreen: bigint) => void): Promise<void> {
    return this.#reading.changeScreen(delta, applied)
  }

  /** Reads once `ready` (the account set loaded) settles, until `stop` or the source's end. */
  async run(ready: Promise<void>, output: BoundedChannel<CheckpointView>, stop: AbortSignal): Promise<void> {
    try {
      await ready
      for await (const checkpoint of this.#reading.checkpoints(stop)) {
        this.#next = checkpoint.sequenceNumber + 1n
        await output.put(checkpoint)
      }
      output.close()
    } catch (error) {
      // A read cut short by the stop signal is the normal way out, not a failure.
      if (stop.aborted) output.close()
      else output.fail(error)
    } finally {
      await this.#reading.close()
    }
  }

  #onThisThread(source: CheckpointSource): Reading {
    return {
      checkpoints: (stop) => source.checkpoints(stop),
      // The screen asks the monitored set itself, which `applied` changes.
      changeScreen: (_delta, applied) => Promise.resolve(applied(this.#next)),
      close: () => Promise.resolve(),
    }
  }
}

/** Where the checkpoints are read and screened: on this thread, or on one of its own. */
interface Reading {
  checkpoints(stop: AbortSignal): AsyncIterable<CheckpointView>
  changeScreen(delta: AccountsDelta, applied: (nextToScreen: bigint) => void): Promise<void>
  /** Ends what the reading holds (its thread), whether it was read or not. */
  close(): Promise<void>
}

function onItsOwnThread(thread: ReadingThread, accounts: MonitoredAccounts): Reading {
  return {
    checkpoints: (stop) => thread.checkpoints(accounts, stop),
    changeScreen: (delta, applied) => thread.changeScreen(delta, applied),
    close: () => thread.close(),
  }
}
