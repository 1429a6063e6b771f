// The worker's side of the beat: takes beat jobs and runs each task through BeatTaskRunner, keeping
// beat_runs up to date (started, then finished with the outcome and a small detail). A failed task
// is logged with its error and recorded `failed`, and its job ends normally: bee-queue does not
// retry it, the task's next slot runs it again. A job that comes back after its worker died mid-run
// (bee-queue's stall check) is recorded `failed` instead of run a second time. Stopping (SIGTERM)
// aborts the tasks in hand, which stop at their next safe point; those runs are recorded `failed` too.
//
// One lane per task: the tasks run side by side, so a reconcile that takes an hour (or a cleanup)
// holds back neither the 1-minute pending expiry nor the 5-minute stale refresh. Why lanes per task
// on the one queue, and not a queue or a concurrency per class of task: PostgreSQL already keeps at
// most one run per task running, whichever worker holds its job (beat_runs_running_idx, see
// beat-runs.ts), and that is the only rule a lane needs; nothing to classify, and the beat, its
// sweep, --drain and `confio status` keep their one queue.
//
// A run whose task is still running (the previous slot outlasting its interval, here or in another
// worker) waits in its lane for that run to end, then runs, late but within its slot; if its task's
// next slot comes first, the beat supersedes it and its job ends, skipped. So a worker holds up to
// two jobs per task: one running, one waiting. A run waited for whose job Redis no longer holds has
// no worker left to finish it (its worker died and Redis lost the job): it is recorded `failed`, so
// it cannot hold its task back for good. A job waiting when the worker stops ends without running;
// its run stays enqueued, and the beat's sweep queues it again while its slot is current.
import type {Logger} from '../logging/logger.ts'
import type {BeatConsumer} from '../queue/beat-consumer.ts'
import {type BeatJob, beatJobId} from '../queue/beat-queue.ts'
import type {Database} from '../store/database.ts'
import {type BeatRunKey, BeatRuns, type Claim} from './beat-runs.ts'
import {BEAT_TASKS, type BeatTaskRunner, parseBeatJob} from './beat-tasks.ts'
import type {JobMetrics} from '../queue/job-metrics.ts'
import {messageOf} from '../errors.ts'
import {pause} from '../support/pause.ts'

/** Jobs a worker holds at once: per task, one running and one waiting for it. */
const JOBS_AT_ONCE = 2 * BEAT_TASKS.length
const INTERRUPTED = 'its worker stopped mid-run; the next slot runs the task again'
const JOB_LOST = 'Redis no longer holds its job, so no worker will finish it; the next slot runs the task again'

export interface BeatWorkerOptions {
  readonly db: Database
  readonly queue: BeatConsumer
  readonly tasks: BeatTaskRunner
  /** Return once the beat queue is empty and nothing runs here. */
  readonly drain: boolean
  readonly logger: Logger
  /** How long a stop may wait for the task in hand to reach a safe point. */
  readonly stopGraceMs: number
  readonly drainPollMs?: number
  /** How often a run whose task is running elsewhere looks whether that run has ended (default 1 s). */
  readonly claimPollMs?: number
  /** Told how each run ended (kind: the task), for /metrics. */
  readonly metrics?: JobMetrics | undefined
}

export interface BeatWorkerResult {
  /** Runs finished `done`. */
  readonly done: number
  /** Runs finished `failed` (an error, a stop, or a run whose worker died). */
  readonly failed: number
  /** Jobs whose run was already finished or superseded, had no beat_runs row, or was still waiting for its task when the worker stopped. */
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
    queue.consume(JOBS_AT_ONCE, async (job, createdAtMs) => {
      this.running += 1
      try {
        await this.handle(job, signal, createdAtMs)
      } finally {
        this.running -= 1
      }
    })
    queue.startStallChecks()
    await this.waitForEnd(signal)
    await queue.close(this.options.stopGraceMs)
    return {...this.counts}
  }

  private async handle(job: BeatJob, signal: AbortSignal, createdAtMs: number | undefined): Promise<void> {
    const {logger} = this.options
    const request = parseBeatJob(job)
    if (request instanceof Error) {
      logger.error({job, err: request.message}, 'beat job not understood; dropped')
      this.counts.skipped += 1
      return
    }
    const key = {task: request.task, slotStart: request.slotStart}
    const fields = {task: request.task, slotStart: request.slotStart.toISOString()}
    const claim = await this.claimInTurn(key, signal)
    if (!claim) {
      logger.info(fields, 'beat run still waiting for its task when the worker stopped; the beat queues it again')
      this.counts.skipped += 1
      return
    }
    if (claim.state === 'finished' || claim.state === 'missing') {
      logger.info({...fields, state: claim.state}, claim.state === 'finished' ? 'beat run already finished or superseded; skipped' : 'beat run not recorded in beat_runs; skipped')
      this.counts.skipped += 1
      return
    }
    if (claim.state === 'interrupted') {
      await this.runs.abandon(key, INTERRUPTED)
      logger.warn(fields, 'beat run came back after its worker stopped mid-run: recorded failed, not run again')
      this.counts.failed += 1
      this.options.metrics?.ended(request.task, 'failed', createdAtMs)
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
      detail = {error: signal.aborted ? 'stopped before it finished (the worker was shutting down)' : messageOf(error)}
    }
    const durationMs = Math.round(performance.now() - started)
    await this.runs.finish(key, outcome, {...detail, durationMs})
    this.counts[outcome] += 1
    this.options.metrics?.ended(request.task, outcome === 'done' ? 'processed' : 'failed', createdAtMs)
    if (outcome === 'done') logger.info({...fields, durationMs, ...detail}, 'beat task done')
    else logger.error({...fields, durationMs, ...detail, err: detail.error}, 'beat task failed')
  }

  /** Claims the run, waiting while another run of its task runs; undefined when the worker stops first. */
  private async claimInTurn(key: BeatRunKey, signal: AbortSignal): Promise<Exclude<Claim, {state: 'busy'}> | undefined> {
    const {logger, queue} = this.options
    let waitingFor: number | undefined
    for (;;) {
      const claim = await this.runs.claim(key)
      if (claim.state !== 'busy') return claim
      const running = claim.running
      // Only its job's handler finishes a started run: with the job gone, nothing will.
      if (running && !(await queue.has(beatJobId(key.task, running)).catch(() => true))) {
        if (await this.runs.abandon({task: key.task, slotStart: running}, JOB_LOST)) {
          logger.warn({task: key.task, slotStart: running.toISOString()}, `beat run recorded failed: ${JOB_LOST}`)
          this.counts.failed += 1
        }
        continue
      }
      if (running && running.getTime() !== waitingFor) {
        waitingFor = running.getTime()
        logger.info({task: key.task, slotStart: key.slotStart.toISOString(), running: running.toISOString()}, 'beat run waits for the run of its task still running')
      }
      await pause(this.options.claimPollMs ?? 1_000, signal)
      if (signal.aborted) return undefined
    }
  }

  private async waitForEnd(signal: AbortSignal): Promise<void> {
    const pollMs = this.options.drainPollMs ?? 100
    while (!signal.aborted) {
      await pause(pollMs, signal)
      if (!this.options.drain || signal.aborted) continue
      const counts = await this.options.queue.counts().catch(() => undefined)
      if (counts && this.running === 0 && counts.waiting === 0 && counts.active === 0 && counts.delayed === 0) return
    }
  }
}
