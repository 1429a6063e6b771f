// Group commit for a queue's handlers. bee-queue calls its handler once per job, up to the
// worker's concurrency at a time; the batcher hands the jobs waiting at that moment to one batch
// run, with at most `parallel` runs going at once. Under load batches fill by themselves (jobs pile
// up while a batch is in PostgreSQL, and one batch can be routed while another is written); a lone
// job still runs at once, alone.

export interface JobBatcherOptions<T, R> {
  /** Runs a batch; resolves with one result per item, in the items' order. */
  readonly run: (items: T[]) => Promise<R[]>
  readonly maxBatchSize: number
  readonly parallel: number
}

interface Waiting<T, R> {
  readonly item: T
  readonly resolve: (result: R) => void
  readonly reject: (error: unknown) => void
}

export class JobBatcher<T, R> {
  private readonly options: JobBatcherOptions<T, R>
  private readonly waiting: Waiting<T, R>[] = []
  private running = 0
  private scheduled = false

  constructor(options: JobBatcherOptions<T, R>) {
    this.options = options
  }

  /** Resolves with the item's result once its batch has run. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({item, resolve, reject})
      // Jobs that arrive in the same turn of the event loop go in the same batch.
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => {
          this.scheduled = false
          this.pump()
        })
      }
    })
  }

  private pump(): void {
    while (this.running < this.options.parallel && this.waiting.length > 0) {
      void this.runBatch(this.waiting.splice(0, this.options.maxBatchSize))
    }
  }

  private async runBatch(batch: Waiting<T, R>[]): Promise<void> {
    this.running += 1
    try {
      const results = await this.options.run(batch.map((w) => w.item))
      batch.forEach((w, i) => w.resolve(results[i]!))
    } catch (error) {
      for (const w of batch) w.reject(error)
    } finally {
      this.running -= 1
      this.pump()
    }
  }
}
