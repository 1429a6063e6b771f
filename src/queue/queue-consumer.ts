// The consumer side of a confio queue (BullMQ's Worker): it takes jobs, checks for jobs whose
// worker died, and hears the queue's errors. Only the workers hold one; the poller, the beat and
// backfill hold a producer, which cannot take jobs.
import {type QueueOptions, QueueBase, type QueueSettings} from './queue-base.ts'

export abstract class QueueConsumer<Job> extends QueueBase<Job> {
  protected constructor(name: string, options: QueueOptions, settings: Omit<QueueSettings, 'isWorker'>) {
    super(name, options, {...settings, isWorker: true})
  }

  /**
   * Finds jobs whose worker died (no claim renewal for a stall interval) and puts them back in
   * the waiting list, now and every half interval. bee-queue does this only when asked.
   */
  startStallChecks(): void {
    void this.queue.checkStalledJobs(Math.max(1, Math.floor(this.stallIntervalMs / 2))).catch(() => undefined)
  }

  onStalled(listener: (jobId: string) => void): void {
    this.queue.on('stalled', listener)
  }

  onError(listener: (error: Error) => void): void {
    this.queue.on('error', listener)
  }
}
