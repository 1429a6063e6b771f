// The beat queue (bee-queue `beat`, beside `process-transaction` under the same `<prefix>bq:`):
// `confio beat` creates one job per scheduled run (this producer side), the workers run several
// at once (a lane per task: src/beat/beat-worker.ts, through beat-consumer.ts). bee-queue has no
// repeating jobs; each run is a job of its own named by its task and slot,
// `<task>:<slot start ISO>`, so creating it again while it exists is a no-op and two beats can
// never queue one run twice. beat_runs (src/beat/beat-runs.ts) records every run as well.
//
// A beat job is never retried by bee-queue: its handler records the outcome itself and returns;
// the task runs again at its next slot.
import {withTimeout} from '../support/with-timeout.ts'
import {QueueBase, type QueueOptions, type QueueSettings} from './queue-base.ts'

export const BEAT_QUEUE = 'beat'

/** What a beat job carries: which task, which slot, and the task's settings from the beat's flags. */
export interface BeatJob {
  readonly task: string
  /** ISO 8601, UTC. */
  readonly slotStart: string
  readonly params: Readonly<Record<string, number>>
}

/**
 * Both sides' settings. The outcome is in beat_runs; a job that failed in bee-queue's eyes (its run
 * could not even be recorded) is put back by the beat's sweep while its slot is current.
 */
export const BEAT_QUEUE_SETTINGS = {removeOnFailure: true, activateDelayedJobs: false} as const satisfies Omit<QueueSettings, 'isWorker'>

export function beatJobId(task: string, slotStart: Date): string {
  return `${task}:${slotStart.toISOString()}`
}

export class BeatQueue extends QueueBase<BeatJob> {
  constructor(options: QueueOptions) {
    super(BEAT_QUEUE, options, {...BEAT_QUEUE_SETTINGS, isWorker: false})
  }

  /** Creates the job (id = beatJobId); false when a job of that id already exists. */
  async enqueue(job: BeatJob): Promise<boolean> {
    const id = beatJobId(job.task, new Date(job.slotStart))
    const saved = await withTimeout(this.queue.createJob(job).setId(id).save(), this.timeoutMs, 'Redis did not answer')
    // bee-queue's addJob script answers nil (the id becomes null) for an id that exists.
    return saved.id === id
  }

  /** Ids of the jobs waiting to run, oldest first. */
  async waitingIds(): Promise<string[]> {
    const jobs = await withTimeout(this.queue.getJobs('waiting', {start: 0, end: 999}), this.timeoutMs, 'Redis did not answer')
    return jobs.map((job) => job.id).reverse()
  }
}
