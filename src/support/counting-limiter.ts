// Counts the requests that pass a rate limit, so a run can report the rate it held.
import type {RateLimiter} from './token-bucket.ts'

/**
 * A caller's own limit that also counts: how many requests took a token through it, and when the
 * first and the last did (a reconcile run reports the rate it held from these).
 */
export class CountingLimiter implements RateLimiter {
  readonly #inner: RateLimiter | undefined
  #requests = 0
  #first: number | undefined
  #last = 0

  constructor(inner?: RateLimiter) {
    this.#inner = inner
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    await this.#inner?.acquire(signal)
    const now = performance.now()
    this.#requests += 1
    this.#first ??= now
    this.#last = now
  }

  /** Requests so far, and the ms from the first one's token to the last one's. */
  get counted(): {requests: number; windowMs: number} {
    return {requests: this.#requests, windowMs: this.#first === undefined ? 0 : Math.round(this.#last - this.#first)}
  }
}
