// A bounded queue between two stages (ingest -> commit), as in Sui's indexer framework: when the
// committer is slow, the reader waits instead of filling memory.

export class BoundedChannel<T> {
  private readonly items: T[] = []
  private readonly capacity: number
  private closed = false
  private failure: unknown
  private wakeTaker: (() => void) | undefined
  private wakePutter: (() => void) | undefined

  constructor(capacity: number) {
    this.capacity = capacity
  }

  /** Waits while the channel is full. */
  async put(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) await new Promise<void>((resolve) => (this.wakePutter = resolve))
    if (this.closed) throw new Error('channel closed')
    this.items.push(item)
    this.wakeTaker?.()
  }

  /** Waits for at least one item, then takes up to `max`; undefined once closed and drained. */
  async take(max: number): Promise<T[] | undefined> {
    while (this.items.length === 0) {
      if (this.failure !== undefined) throw this.failure
      if (this.closed) return undefined
      await new Promise<void>((resolve) => (this.wakeTaker = resolve))
    }
    const taken = this.items.splice(0, max)
    this.wakePutter?.()
    return taken
  }

  /** Up to `max` items if any are there now; never waits. */
  takeReady(max: number): T[] | undefined {
    if (this.items.length === 0) return undefined
    const taken = this.items.splice(0, max)
    this.wakePutter?.()
    return taken
  }

  /** No more items; what is in the channel is still taken. */
  close(): void {
    this.closed = true
    this.wakeTaker?.()
    this.wakePutter?.()
  }

  /** The producer failed: the taker sees the error once the items before it are taken (the first error, if several). */
  fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error
    this.close()
  }
}
