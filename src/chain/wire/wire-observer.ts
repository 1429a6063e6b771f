// What the checkpoint reader (checkpoint-wire.ts) tells about content it does not know: a
// transaction kind or a command newer than confio. The transaction itself is kept, as undecodable
// (its parse error says what), so the relevance rule stores it rather than drop a transfer; this is
// how a person finds out why: a count per kind in the chain metrics, and a warning.
import type {ChainLogger} from '../transport/call-policy.ts'
import {chainMetrics} from '../chain-metrics.ts'
import type {ChainMetrics} from '../chain-metrics.ts'

export interface WireObserver {
  /** One transaction carried `what` (e.g. "TransactionKind.kind 12"), which the reader does not know. */
  unknownContent(what: string): void
}

/** Counts into `metrics`; warns on the 1st, 10th, 100th, … transaction of each kind. */
export function reportingWireObserver(metrics: ChainMetrics, logger?: ChainLogger): WireObserver {
  return {
    unknownContent(what: string): void {
      const transactions = metrics.recordUnknownContent(what)
      // A new kind may come in every checkpoint (as system transactions do): one line each would
      // bury the log, one per order of magnitude still shows it growing.
      if (logger !== undefined && isPowerOfTen(transactions)) {
        logger.warn({what, transactions}, `a transaction carries ${what}, which this reader does not know: kept as undecodable`)
      }
    },
  }
}

/** Where the reader reports when its caller names no observer: the process's chain metrics. */
export const DEFAULT_WIRE_OBSERVER: WireObserver = reportingWireObserver(chainMetrics)

function isPowerOfTen(n: number): boolean {
  let m = n
  while (m >= 10 && m % 10 === 0) m /= 10
  return m === 1
}
