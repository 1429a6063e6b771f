// Readings are judged a batch at a time behind the reads: every `size` readings become one batch
// (a judge's few queries serve the lot), judged after the batch before it, while the reads go on.
import type {Reading} from './account-reading.ts'

/** Judges a batch; returns the readings it could not judge yet (in flight). */
export type Judge = (batch: Reading[]) => Promise<Reading[]>

export class JudgingQueue {
  private readonly judge: Judge
  private readonly size: number
  private buffer: Reading[] = []
  /** The batches handed on so far, each judged after the one before. */
  private judging = Promise.resolve()
  private readonly deferred: Reading[] = []

  constructor(judge: Judge, size: number) {
    this.judge = judge
    this.size = size
  }

  /** Takes a reading once it is read (the buffer it joins may be a new one since the read began). */
  add(reading: Reading): void {
    this.buffer.push(reading)
    if (this.buffer.length >= this.size) this.flush()
  }

  /** Judges what is left, waits for every batch, and returns the readings deferred, batch by batch. */
  async drain(): Promise<Reading[]> {
    this.flush()
    await this.judging
    return this.deferred
  }

  private flush(): void {
    const batch = this.buffer
    if (batch.length === 0) return
    this.buffer = []
    this.judging = this.judging.then(async () => {
      this.deferred.push(...(await this.judge(batch)))
    })
  }
}
