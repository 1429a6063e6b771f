// What a worker counts of the jobs it runs, by kind (`process-transaction`, or the beat task's
// name): processed, failed for good, retried, and how long each took from its job's creation (the
// poller or the beat queued it) to its commit. Plain counts and a BucketHistogram per kind, read
// at scrape time, so a job pays a few increments for being measured.
import {BucketHistogram} from '../support/bucket-histogram.ts'
import {type MetricsRegistry, registerCounter, registerHistogram} from '../support/metric-families.ts'

/**
 * From tens of milliseconds (a job taken at once, one batch) through retries (60 s times the
 * attempt) to a backlog hours deep.
 */
const JOB_DURATION_BUCKETS_S: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400]

export type JobEnd = 'processed' | 'failed' | 'retried'

class KindCounts {
  processed = 0
  failed = 0
  retried = 0
  readonly duration = new BucketHistogram(JOB_DURATION_BUCKETS_S)
}

export class JobMetrics {
  readonly #kinds = new Map<string, KindCounts>()

  /**
   * A job of `kind` ended: `createdAtMs` (its job's creation, Unix ms; undefined: not known) gives
   * the duration of a processed one.
   */
  ended(kind: string, end: JobEnd, createdAtMs: number | undefined): void {
    let counts = this.#kinds.get(kind)
    if (!counts) this.#kinds.set(kind, (counts = new KindCounts()))
    counts[end] += 1
    if (end === 'processed' && createdAtMs !== undefined) counts.duration.observe(Math.max(0, Date.now() - createdAtMs) / 1000)
  }

  register(registry: MetricsRegistry): void {
    const each = (end: JobEnd) => () => [...this.#kinds].map(([kind, counts]) => ({labels: {kind}, value: counts[end]}))
    registerCounter(registry, {name: 'confio_jobs_processed_total', help: 'Jobs this worker finished (their effects committed, or found committed already), by kind', read: each('processed')})
    registerCounter(registry, {name: 'confio_jobs_failed_total', help: 'Jobs that failed for good (no attempt left, or not retryable), by kind', read: each('failed')})
    registerCounter(registry, {name: 'confio_jobs_retried_total', help: 'Job runs that failed and were scheduled to run again, by kind', read: each('retried')})
    registerHistogram(registry, {
      name: 'confio_job_duration_seconds',
      help: "From a job's creation (queued by the poller or the beat) to its commit, by kind",
      read: () => [...this.#kinds].map(([kind, counts]) => ({labels: {kind}, histogram: counts.duration.snapshot()})),
    })
  }
}
