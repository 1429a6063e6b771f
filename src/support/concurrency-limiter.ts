// Caps the unary calls in flight. Without it a range read or a reconciliation sweep opens
// hundreds of HTTP/2 streams at once, and the node (or the provider) answers RESOURCE_EXHAUSTED.

export class ConcurrencyLimiter {
  readonly #max: number
  #active = 0
  readonly #queue: Array<() => void> = []

  constructor(max: number) {
    this.#max = max
  }

  get active(): number {
    return this.#active
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#max) await new Promise<void>((resolve) => this.#queue.push(resolve))
    else this.#active += 1
    try {
      return await task()
    } finally {
      const next = this.#queue.shift()
      // The slot passes straight to the next waiter, so #active never dips and lets a newcomer jump the queue.
      if (next) next()
      else this.#active -= 1
    }
  }
}
