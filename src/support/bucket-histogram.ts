// A histogram kept as plain counts (an array increment per observation, no labels hashed), for
// paths too hot for a metrics library's own: the chain's calls, the worker's jobs. A /metrics
// endpoint renders snapshot() at scrape time in Prometheus's form: cumulative buckets with an
// upper bound `le`, the last one +Inf.

export interface HistogramSnapshot {
  /** Cumulative: `count` is the number of observations ≤ `le`. The last bucket is `Infinity`. */
  buckets: Array<{le: number; count: number}>
  count: number
  sum: number
}

export class BucketHistogram {
  readonly #bounds: readonly number[]
  readonly #counts: number[]
  #count = 0
  #sum = 0

  /** `bounds`: the buckets' upper bounds, ascending, in the unit observed. */
  constructor(bounds: readonly number[]) {
    this.#bounds = bounds
    this.#counts = new Array<number>(bounds.length + 1).fill(0)
  }

  observe(value: number): void {
    let i = 0
    while (i < this.#bounds.length && value > (this.#bounds[i] as number)) i++
    this.#counts[i] = (this.#counts[i] as number) + 1
    this.#count += 1
    this.#sum += value
  }

  snapshot(): HistogramSnapshot {
    let running = 0
    const buckets = this.#counts.map((n, i) => {
      running += n
      return {le: this.#bounds[i] ?? Number.POSITIVE_INFINITY, count: running}
    })
    return {buckets, count: this.#count, sum: this.#sum}
  }
}
