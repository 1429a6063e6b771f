// What the poller tells about its progress: each tip seen and each commit, to the metrics
// (poller-metrics.ts) and the pipeline marker (pipeline-heartbeat.ts), and a 'checkpoints
// committed' line per commit, written with the commit stage's logger: at info for a batch that
// stored something and at least every 5 s otherwise, at debug for the rest. A commit, or a tip the
// cursor has reached, ends a node outage being waited out (node-outage.ts).
import type {Logger} from '../logging/logger.ts'
import type {StoredBatch} from './checkpoint-committer.ts'
import type {NodeOutage} from './node-outage.ts'
import type {PipelineHeartbeat} from './pipeline-heartbeat.ts'
import type {PollerMetrics} from './poller-metrics.ts'

/** At least one info line this often while batches store nothing. */
const QUIET_LINE_MS = 5_000

export interface PollerProgressOptions {
  readonly outage: NodeOutage
  readonly metrics?: PollerMetrics | undefined
  readonly heartbeat?: PipelineHeartbeat | undefined
}

export class PollerProgress {
  readonly #options: PollerProgressOptions
  #tip: bigint | undefined
  #lastLine = 0

  constructor(options: PollerProgressOptions) {
    this.#options = options
  }

  /** A tip seen, with the cursor as committed then. */
  tipSeen(tip: bigint, cursor: bigint): void {
    this.#tip = tip
    this.#options.metrics?.tipSeen(tip)
    this.#options.heartbeat?.tipSeen(tip)
    if (tip <= cursor) this.#options.outage.over()
  }

  committed(batch: StoredBatch, logger: Logger): void {
    const checkpoints = Number(batch.last - batch.first) + 1
    this.#options.outage.over()
    this.#options.metrics?.committed({last: batch.last, lastTimestampMs: batch.lastTimestampMs, checkpoints, keptCheckpoints: batch.relevantCheckpoints, transactions: batch.transactions, kept: batch.relevant, stored: batch.inserted.length})
    this.#options.heartbeat?.committed(batch.last)
    const tip = this.#tip
    const fields = {
      cursor: batch.last.toString(),
      tip: tip?.toString() ?? null,
      lagCheckpoints: tip !== undefined && tip > batch.last ? Number(tip - batch.last) : 0,
      checkpoints,
      transactions: batch.transactions,
      relevant: batch.relevant,
      inserted: batch.inserted.length,
      lagSeconds: Math.max(0, (Date.now() - batch.lastTimestampMs) / 1000),
    }
    if (batch.relevant > 0 || Date.now() - this.#lastLine >= QUIET_LINE_MS) {
      logger.info(fields, 'checkpoints committed')
      this.#lastLine = Date.now()
    } else {
      logger.debug(fields, 'checkpoints committed')
    }
  }
}
