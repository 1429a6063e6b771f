// Client-side rate limit as a token bucket. Providers count requests per IP or per key, not per
// object, so one bucket serves the whole process (processRateLimiter); tests build their own.
// A stream takes one token when it opens: providers count a stream as one request (sui.md).

export interface RateLimiter {
  /** Resolves when the caller may send one request; rejects with the signal's reason on abort. */
  acquire(signal?: AbortSignal): Promise<void>
}

interface Waiter {
  resolve: () => void
  reject: (reason: unknown) => void
  signal: AbortSignal | undefined
  onAbort: () => void
}

export interface TokenBucketOptions {
  requestsPerSecond: number
  /** Tokens that can accumulate while idle; defaults to one second's worth (at least 1). */
  burst?: number
  now?: () => number
}

export class TokenBucket implements RateLimiter {
  #rate: number
  #capacity: number
  #tokens: number
  #last: number
  readonly #now: () => number
  readonly #waiters: Waiter[] = []
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: TokenBucketOptions) {
    this.#now = options.now ?? (() => performance.now())
    this.#rate = options.requestsPerSecond
    this.#capacity = Math.max(1, options.burst ?? options.requestsPerSecond)
    this.#tokens = this.#capacity
    this.#last = this.#now()
  }

  get requestsPerSecond(): number {
    return this.#rate
  }

  /** Lowers (never raises) the rate: two parts of the process configured differently get the safer one. */
  limitTo(requestsPerSecond: number): void {
    if (requestsPerSecond >= this.#rate) return
    this.#refill()
    this.#rate = requestsPerSecond
    this.#capacity = Math.max(1, requestsPerSecond)
    this.#tokens = Math.min(this.#tokens, this.#capacity)
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#waiters.length === 0) {
      this.#refill()
      if (this.#tokens >= 1) {
        this.#tokens -= 1
        return Promise.resolve()
      }
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter)
          if (index >= 0) this.#waiters.splice(index, 1)
          reject(signal?.reason)
        },
      }
      signal?.addEventListener('abort', waiter.onAbort, {once: true})
      this.#waiters.push(waiter)
      this.#schedule()
    })
  }

  #refill(): void {
    const now = this.#now()
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#last) / 1000) * this.#rate)
    this.#last = now
  }

  #schedule(): void {
    if (this.#timer !== undefined) return
    this.#refill()
    while (this.#waiters.length > 0 && this.#tokens >= 1) {
      this.#tokens -= 1
      const waiter = this.#waiters.shift() as Waiter
      waiter.signal?.removeEventListener('abort', waiter.onAbort)
      waiter.resolve()
    }
    if (this.#waiters.length === 0) return
    const waitMs = Math.max(1, Math.ceil(((1 - this.#tokens) / this.#rate) * 1000))
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#schedule()
    }, waitMs)
  }
}

let processBucket: TokenBucket | undefined

/** The bucket every chain client in this process shares. */
export function processRateLimiter(requestsPerSecond: number): TokenBucket {
  if (processBucket === undefined) processBucket = new TokenBucket({requestsPerSecond})
  else processBucket.limitTo(requestsPerSecond)
  return processBucket
}
