// What `confio serve` counts of the requests it answers: by route pattern (never the URL, which
// names accounts), method and status, and how long each took. Plain counts and a BucketHistogram per
// route, read at scrape time, so a request pays a map lookup and a few increments for being measured.
import {BucketHistogram} from '../support/bucket-histogram.ts'
import {type MetricsRegistry, registerCounter, registerHistogram} from '../support/metric-families.ts'

/** From a cached read (well under a millisecond) through a critical read's chain wait (seconds). */
export const REQUEST_DURATION_BUCKETS_S: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export class ApiMetrics {
  readonly #answered = new Map<string, {labels: {route: string; method: string; status: string}; count: number}>()
  readonly #durations = new Map<string, BucketHistogram>()

  /** A request to `route` (its pattern) answered `status` after `ms`. */
  answered(route: string, method: string, status: number, ms: number): void {
    const key = `${method} ${route} ${status}`
    const entry = this.#answered.get(key)
    if (entry) entry.count += 1
    else this.#answered.set(key, {labels: {route, method, status: String(status)}, count: 1})
    let histogram = this.#durations.get(route)
    if (!histogram) this.#durations.set(route, (histogram = new BucketHistogram(REQUEST_DURATION_BUCKETS_S)))
    histogram.observe(ms / 1000)
  }

  register(registry: MetricsRegistry): void {
    registerCounter(registry, {
      name: 'confio_api_requests_total',
      help: 'HTTP requests confio serve answered, by route pattern, method and status',
      read: () => [...this.#answered.values()].map(({labels, count}) => ({labels, value: count})),
    })
    registerHistogram(registry, {
      name: 'confio_api_request_duration_seconds',
      help: 'From a request received to its answer sent, by route pattern',
      read: () => [...this.#durations].map(([route, histogram]) => ({labels: {route}, histogram: histogram.snapshot()})),
    })
  }
}
