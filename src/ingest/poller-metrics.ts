// What the poller counts for /metrics: where it is (cursor, tip, lag in checkpoints and in
// seconds), what it read, kept and stored, and what it could not queue. Plain numbers updated at
// each tip and each commit; the families read them at scrape time (src/support/metric-families.ts),
// so a commit costs a few assignments, not a metrics library's work.
import {type MetricsRegistry, registerCounter, registerGauge} from '../support/metric-families.ts'

export class PollerMetrics {
  #tip: bigint | undefined
  #cursor: bigint | undefined
  /** The chain's timestamp of the last committed checkpoint. */
  #lastCommittedTimestampMs: number | undefined
  #checkpoints = 0
  #transactionsRead = 0
  #transactionsKept = 0
  #transactionsStored = 0
  #checkpointsKept = 0
  #enqueueFailures = 0

  /**
   * Records a committed batch: its `checkpoints`, `keptCheckpoints` of them holding a kept
   * transaction; `transactions` read, `kept` by the relevance rule, `stored` (inserted, not already there).
   */
  committed(batch: {last: bigint; lastTimestampMs: number; checkpoints: number; keptCheckpoints: number; transactions: number; kept: number; stored: number}): void {
    this.#cursor = batch.last
    this.#lastCommittedTimestampMs = batch.lastTimestampMs
    this.#checkpoints += batch.checkpoints
    this.#checkpointsKept += batch.keptCheckpoints
    this.#transactionsRead += batch.transactions
    this.#transactionsKept += batch.kept
    this.#transactionsStored += batch.stored
  }

  tipSeen(tip: bigint): void {
    this.#tip = tip
  }

  /** Jobs that could not be queued (left to the outbox). */
  enqueueFailed(jobs: number): void {
    this.#enqueueFailures += jobs
  }

  register(registry: MetricsRegistry): void {
    const known = (value: bigint | undefined) => (value === undefined ? [] : [{value: Number(value)}])
    registerGauge(registry, {name: 'confio_poll_tip_checkpoint', help: 'Latest checkpoint the node reported', read: () => known(this.#tip)})
    registerGauge(registry, {name: 'confio_poll_cursor_checkpoint', help: 'Last committed checkpoint (the cursor)', read: () => known(this.#cursor)})
    registerGauge(registry, {
      name: 'confio_poll_lag_checkpoints',
      help: 'Tip minus cursor',
      read: () => (this.#tip !== undefined && this.#cursor !== undefined ? [{value: this.#tip > this.#cursor ? Number(this.#tip - this.#cursor) : 0}] : []),
    })
    // Measured at each scrape, not at each commit: while nothing is committed (a node outage) it grows.
    registerGauge(registry, {
      name: 'confio_poll_lag_seconds',
      help: "Age of the last committed checkpoint, by the checkpoint's own timestamp",
      read: () => (this.#lastCommittedTimestampMs === undefined ? [] : [{value: Math.max(0, (Date.now() - this.#lastCommittedTimestampMs) / 1000)}]),
    })
    registerCounter(registry, {name: 'confio_poll_checkpoints_total', help: 'Checkpoints read and committed', read: () => [{value: this.#checkpoints}]})
    registerCounter(registry, {name: 'confio_poll_checkpoints_kept_total', help: 'Committed checkpoints holding at least one transaction the relevance rule kept', read: () => [{value: this.#checkpointsKept}]})
    registerCounter(registry, {name: 'confio_poll_transactions_read_total', help: 'Transactions in the committed checkpoints', read: () => [{value: this.#transactionsRead}]})
    registerCounter(registry, {name: 'confio_poll_transactions_kept_total', help: 'Transactions the relevance rule kept', read: () => [{value: this.#transactionsKept}]})
    registerCounter(registry, {
      name: 'confio_poll_transactions_stored_total',
      help: 'Kept transactions inserted into raw_blockchain_events (a replayed one is not)',
      read: () => [{value: this.#transactionsStored}],
    })
    registerCounter(registry, {name: 'confio_poll_enqueue_failures_total', help: 'Jobs that could not be queued (left to the outbox)', read: () => [{value: this.#enqueueFailures}]})
  }
}
