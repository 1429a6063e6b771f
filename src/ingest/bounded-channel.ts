// A bounded queue between two of the poller's stages, as in Sui's indexer framework: when a stage
// is slow, the one before it waits instead of filling memory. A channel has one putter and one
// taker. What a stage puts before it fails is still taken before its failure: a failure travels
// down the stages behind the work that came before it.

/** The taker's side closed the channel (the poller is stopping): nothing more is taken. */
export class ChannelClosedError extends Error {
  constructor() {
    super('channel closed')
  }
}

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

  /** Waits while the channel is full; throws ChannelClosedError once it is closed. */
  async put(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) await new Promise<void>((resolve) => (this.wakePutter = resolve))
    if (this.closed) throw new ChannelClosedError()
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

  /**
   * Waits until an item is there, the channel is closed or failed, or `ms` have passed; takes
   * nothing. True when an item is there (a take will not wait).
   */
  async waitForItem(ms: number): Promise<boolean> {
    if (this.items.length === 0 && !this.closed && this.failure === undefined) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.wakeTaker = resolve
        timer = setTimeout(resolve, ms)
      })
      clearTimeout(timer)
    }
    return this.items.length > 0
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

/**
 * A stage's loop between two channels: takes with `take` (what is there, waiting for one: e.g.
 * `(input) => input.take(max)`), puts what `step` makes of it, in order. Its input closed and
 * drained, it closes its output; its input failed, or `step` threw, it fails its output with that
 * error, so the stages behind it finish what came before and then see the failure. An output
 * closed by the taker's side ends it quietly.
 */
export async function relay<I, O>(input: BoundedChannel<I>, output: BoundedChannel<O>, take: (input: BoundedChannel<I>) => Promise<I[] | undefined>, step: (items: I[]) => O[]): Promise<void> {
  try {
    for (;;) {
      const items = await take(input)
      if (!items) break
      for (const item of step(items)) await output.put(item)
    }
    output.close()
  } catch (error) {
    if (!(error instanceof ChannelClosedError)) output.fail(error)
  }
}
