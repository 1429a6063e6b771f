// Per-method counters and latency histograms for chain calls, kept in memory. A /metrics
// endpoint renders snapshot() at scrape time (src/metrics/chain-metric-families.ts); nothing here
// knows about Prometheus beyond using its conventions (cumulative buckets with an upper bound
// `le`, in milliseconds).
import {BucketHistogram, type HistogramSnapshot} from '../support/bucket-histogram.ts'

// Fullnode round trips sit around 5–50 ms in the same region and 100–500 ms across the world;
// the top buckets catch calls that ran into the 10 s deadline.
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000]

export interface MethodMetricsSnapshot {
  /** Attempts sent, retries included (what the node saw). */
  calls: number
  /** Attempts that were retries. */
  retries: number
  /** Failed attempts by gRPC status name. */
  errors: Record<string, number>
  /** In milliseconds (`sum` too). */
  latencyMs: HistogramSnapshot
}

export interface ChainMetricsSnapshot {
  methods: Record<string, MethodMetricsSnapshot>
  /** Time spent waiting for the rate limiter, across all methods. */
  rateLimitWaitMs: number
  /**
   * Transactions whose kind or commands the checkpoint reader does not know (a node newer than
   * confio), by what it met, e.g. "TransactionKind.kind 12". Each was kept as undecodable.
   */
  unknownContent: Record<string, number>
}

class MethodMetrics {
  calls = 0
  retries = 0
  readonly errors = new Map<string, number>()
  readonly latency = new BucketHistogram(LATENCY_BUCKETS_MS)
}

export class ChainMetrics {
  readonly #methods = new Map<string, MethodMetrics>()
  #rateLimitWaitMs = 0
  readonly #unknownContent = new Map<string, number>()

  /** One attempt finished: `status` is undefined on success. */
  recordAttempt(method: string, latencyMs: number, status: string | undefined, retry: boolean): void {
    const m = this.#method(method)
    m.calls += 1
    if (retry) m.retries += 1
    m.latency.observe(latencyMs)
    if (status !== undefined) m.errors.set(status, (m.errors.get(status) ?? 0) + 1)
  }

  recordRateLimitWait(ms: number): void {
    this.#rateLimitWaitMs += ms
  }

  /** One transaction carried `what`, which the reader does not know; returns the count so far. */
  recordUnknownContent(what: string): number {
    const count = (this.#unknownContent.get(what) ?? 0) + 1
    this.#unknownContent.set(what, count)
    return count
  }

  snapshot(): ChainMetricsSnapshot {
    const methods: Record<string, MethodMetricsSnapshot> = {}
    for (const [name, m] of [...this.#methods].sort(([a], [b]) => a.localeCompare(b))) {
      methods[name] = {calls: m.calls, retries: m.retries, errors: Object.fromEntries(m.errors), latencyMs: m.latency.snapshot()}
    }
    return {methods, rateLimitWaitMs: this.#rateLimitWaitMs, unknownContent: Object.fromEntries(this.#unknownContent)}
  }

  #method(name: string): MethodMetrics {
    let m = this.#methods.get(name)
    if (m === undefined) {
      m = new MethodMetrics()
      this.#methods.set(name, m)
    }
    return m
  }
}

/** The registry the process exposes on /metrics. */
export const chainMetrics = new ChainMetrics()
