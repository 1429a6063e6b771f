// The beat queue's consumer side: the workers run its jobs (src/beat/beat-worker.ts); `confio beat`
// creates them through beat-queue.ts.
import {BEAT_QUEUE, BEAT_QUEUE_SETTINGS, type BeatJob} from './beat-queue.ts'
import type {QueueOptions} from './queue-base.ts'
import {QueueConsumer} from './queue-consumer.ts'

export class BeatConsumer extends QueueConsumer<BeatJob> {
  constructor(options: QueueOptions) {
    super(BEAT_QUEUE, options, BEAT_QUEUE_SETTINGS)
  }

  /**
   * Runs `handler` for each job, up to `concurrency` at once. A handler that throws fails the job
   * with no retry. `createdAtMs`: when the beat created the job (bee-queue's options.timestamp).
   */
  consume<T>(concurrency: number, handler: (job: BeatJob, createdAtMs: number | undefined) => Promise<T>): void {
    this.queue.process(concurrency, (job) => handler(job.data, (job.options as {timestamp?: number}).timestamp))
  }
}
