// The worker's side of the beat: takes beat jobs, one at a time, and runs each task through
// BeatTaskRunner, keeping beat_runs up to date (started, then finished with the outcome and a small
// detail). A failed task is logged with its error and recorded `failed`, and its job ends normally:
// bee-queue does not retry it, the task's next slot runs it again. A job that comes back after its
// worker died mid-run (bee-queue's stall check) is recorded `failed` instead of run a second time.
// Stopping (SIGTERM) aborts the task in hand, which stops at its next safe point; that run is
// recorded `failed` too.
import {sleep} from '../chain/backoff.ts'
import type {Logger} from '../logging/logger.ts'
import type {BeatJob, BeatQueue} from '../queue/beat-queue.ts'
import type {Database} from '../store/database.ts'
import {BeatRuns} from './beat-runs.ts'
import {type BeatTaskRunner, parseBeatJob} from './beat-tasks.ts'

export interface BeatWorkerOptions {
  readonly db: Database
  readonly queue: BeatQueue
  readonly tasks: BeatTaskRunner
  /** Return once the beat queue is empty and nothing runs here. */
  readonly drain: boolean
  readonly logger: Logger
  /** How long a stop may wait for the task in hand to reach a safe point. */
  readonly stopGraceMs: number
  readonly drainPollMs?: number
}

export interface BeatWorkerResult {
  /** Runs finished `done`. */
  readonly done: number
  /** Runs finished `failed` (an error, a stop, or a run whose worker died). */
  readonly failed: number
  /** Jobs whose run was already finished or superseded, or had no beat_runs row. */
  readonly skipped: number
}

export class BeatWorker {
  private readonly options: BeatWorkerOptions
  private readonly runs: BeatRuns
  private readonly counts = {done: 0, failed: 0, skipped: 0}
  private running = 0

  constructor(options: BeatWorkerOptions) {
    this.options = options
    this.runs = new BeatRuns(options.db)
  }

  async run(signal: AbortSignal): Promise<BeatWorkerResult> {
    const {queue, logger} = this.options
    await queue.ready()
    queue.onError((error) => logger.warn({err: error.message}, 'beat queue error'))
    queue.consume(async (job) => {
      this.running += 1
      try {
        await this.handle(job, signal)
      } finally {
        this.running -= 1
      }
    })
    queue.startStallChecks()
    await this.waitForEnd(signal)
    await queue.close(this.options.stopGraceMs)
    return {...this.counts}
  }

  private async handle(job: BeatJob, signal: AbortSignal): Promise<void> {
    const {logger} = this.options
    const request = parseBeatJob(job)
    if (request instanceof Error) {
      logger.error({job, err: request.message}, 'beat job not understood; dropped')
      this.counts.skipped += 1
      return
    }
    const key = {task: request.task, slotStart: request.slotStart}
    const fields = {task: request.task, slotStart: request.slotStart.toISOString()}
    const state = await this.runs.claim(key)
    if (state === 'finished' || state === 'missing') {
      logger.info({...fields, state}, state === 'finished' ? 'beat run already finished or superseded; skipped' : 'beat run not recorded in beat_runs; skipped')
      this.counts.skipped += 1
      return
    }
    if (state === 'interrupted') {
      await this.runs.finish(key, 'failed', {error: 'its worker stopped mid-run; the next slot runs the task again'})
      logger.warn(fields, 'beat run came back after its worker stopped mid-run: recorded failed, not run again')
      this.counts.failed += 1
      return
    }
    const started = performance.now()
    let outcome: 'done' | 'failed'
    let detail: Readonly<Record<string, unknown>>
    try {
      ;({outcome, detail} = await this.options.tasks.run(request, signal))
      if (signal.aborted) {
        outcome = 'failed'
        detail = {...detail, error: 'stopped before it finished (the worker was shutting down)'}
      }
    } catch (error) {
      outcome = 'failed'
      detail = {error: signal.aborted ? 'stopped before it finished (the worker was shutting down)' : (error as Error).message}
    }
    const durationMs = Math.round(performance.now() - started)
    await this.runs.finish(key, outcome, {...detail, durationMs})
    this.counts[outcome] += 1
    if (outcome === 'done') logger.info({...fields, durationMs, ...detail}, 'beat task done')
    else logger.error({...fields, durationMs, ...detail, err: detail.error}, 'beat task failed')
  }

  private async waitForEnd(signal: AbortSignal): Promise<void> {
    const pollMs = this.options.drainPollMs ?? 100
    while (!signal.aborted) {
      await sleep(pollMs, signal).catch(() => undefined)
      if (!this.options.drain || signal.aborted) continue
      const counts = await this.options.queue.counts().catch(() => undefined)
      if (counts && this.running === 0 && counts.waiting === 0 && counts.active === 0 && counts.delayed === 0) return
    }
  }
}
