// `confio beat`: turns the schedule into jobs. Each second it looks at every task's latest slot
// (beat-schedule.ts); a slot not recorded yet in beat_runs is recorded and its job created, with
// the slot in its id. So:
//   - two beats can never schedule one run twice: the job id and beat_runs' key both say no;
//   - a beat that was down runs what it missed once (only the latest slot is ever scheduled), and
//     a run still waiting when the next slot of its task comes (no worker took it, or its task's
//     previous run was still running) is superseded, not run late;
//   - one beat schedules at a time: it holds the beat's lease (beat-lease.ts, the expiring lease
//     the poller holds too, under a name of its own); another waits as a standby and takes over when the active one stops or stops
//     renewing. The slot keys make even an overlap harmless.
// Every 30 s (and at start) a sweep re-creates the job of any current run that has none (Redis was
// down when it was created, or lost it in a restart).
import type {Logger} from '../logging/logger.ts'
import {type BeatQueue, beatJobId} from '../queue/beat-queue.ts'
import type {Database} from '../store/database.ts'
import type {Lease} from '../store/lease.ts'
import {BeatRuns} from './beat-runs.ts'
import {nextSlotStart, type Schedule, slotStart} from './beat-schedule.ts'
import type {BeatTaskName, BeatTaskParams} from './beat-tasks.ts'
import {messageOf} from '../errors.ts'
import {pause} from '../support/pause.ts'

/** A task as this beat schedules it. */
export type PlannedTask = {[T in BeatTaskName]: {readonly task: T; readonly schedule: Schedule; readonly params: BeatTaskParams[T]}}[BeatTaskName]

export interface BeatSchedulerOptions {
  readonly db: Database
  readonly queue: BeatQueue
  readonly lease: Lease
  readonly plan: readonly PlannedTask[]
  /** Schedule what is due now, then return (cron, tests); a lease held elsewhere means nothing to do. */
  readonly once: boolean
  readonly logger: Logger
  /** The clock (tests move it). */
  readonly now?: () => Date
  readonly tickMs?: number
  readonly sweepMs?: number
}

export interface ScheduledRun {
  readonly task: BeatTaskName
  /** ISO 8601, UTC. */
  readonly slotStart: string
  readonly jobId: string
  /** false: recorded, but Redis did not take the job yet (the sweep creates it). */
  readonly queued: boolean
}

export interface BeatResult {
  /** once: scheduled what was due; standby: another beat holds the lease (with --once); signal: stopped. */
  readonly stoppedBy: 'once' | 'standby' | 'signal'
  /** The runs this beat scheduled (the latest 100 in a long run). */
  readonly scheduled: ScheduledRun[]
  readonly scheduledTotal: number
  /** Jobs created again by the sweep. */
  readonly requeued: number
  /** Runs no worker started before their task's next slot (outcome `superseded`). */
  readonly superseded: number
}

const KEEP_SCHEDULED = 100
/** A run recorded this recently is left to the beat that is creating its job. */
const SWEEP_GRACE_MS = 5_000

export class BeatScheduler {
  private readonly options: BeatSchedulerOptions
  private readonly runs: BeatRuns
  private readonly now: () => Date
  /** The slot each task was last seen scheduled for: saves a database round trip per task per tick. */
  private readonly seen = new Map<BeatTaskName, number>()
  private scheduled: ScheduledRun[] = []
  private scheduledTotal = 0
  private requeued = 0
  private superseded = 0

  constructor(options: BeatSchedulerOptions) {
    this.options = options
    this.runs = new BeatRuns(options.db)
    this.now = options.now ?? (() => new Date())
  }

  async run(signal: AbortSignal): Promise<BeatResult> {
    const {lease, logger, once} = this.options
    const onHeld = () => logger.info(once ? 'another beat holds the lease and schedules; nothing to do' : 'another beat holds the lease; waiting as a standby')
    if (!(await lease.acquire(signal, {wait: !once, onHeld}))) return this.result(once && !signal.aborted ? 'standby' : 'signal')
    logger.info({tasks: this.options.plan.map((p) => p.task)}, 'holding the beat lease; scheduling')
    try {
      await this.options.queue.ready()
      await this.sweep()
      let lastSweep = Date.now()
      let failingSince: number | undefined
      for (;;) {
        await lease.check()
        try {
          await this.scheduleDue()
          if (Date.now() - lastSweep >= (this.options.sweepMs ?? 30_000)) {
            await this.sweep()
            lastSweep = Date.now()
          }
          if (failingSince !== undefined) logger.info('beat: scheduling again')
          failingSince = undefined
        } catch (error) {
          if (once) throw error
          // The lease check above stops the beat when PostgreSQL is gone; anything else is tried again next tick.
          if (failingSince === undefined) logger.warn({err: messageOf(error)}, 'beat: could not schedule; trying again every tick')
          failingSince ??= Date.now()
        }
        if (once || signal.aborted) break
        await pause(this.options.tickMs ?? 1_000, signal)
        if (signal.aborted) break
      }
      return this.result(once ? 'once' : 'signal')
    } finally {
      await lease.release()
    }
  }

  /** Records and queues every task's latest slot not recorded yet; returns the runs scheduled now. */
  async scheduleDue(): Promise<ScheduledRun[]> {
    const now = this.now()
    const out: ScheduledRun[] = []
    for (const planned of this.options.plan) {
      const slot = slotStart(planned.schedule, now)
      if (this.seen.get(planned.task) === slot.getTime()) continue
      if (await this.runs.record({task: planned.task, slotStart: slot}, nextSlotStart(planned.schedule, slot))) {
        const superseded = await this.runs.supersede(planned.task, slot)
        if (superseded > 0) this.options.logger.warn({task: planned.task, superseded}, 'beat: earlier runs were never started by a worker; superseded by this one (are workers running? is the previous run of the task still running?)')
        this.superseded += superseded
        const run = {task: planned.task, slotStart: slot.toISOString(), jobId: beatJobId(planned.task, slot), queued: await this.enqueue(planned, slot)}
        this.options.logger.info({task: run.task, slotStart: run.slotStart, jobId: run.jobId, queued: run.queued}, 'beat: run scheduled')
        out.push(run)
        this.remember(run)
      }
      this.seen.set(planned.task, slot.getTime())
    }
    return out
  }

  /** Re-creates the job of every current run no worker has started and Redis does not hold. */
  async sweep(): Promise<number> {
    const now = this.now()
    let requeued = 0
    for (const waiting of await this.runs.waiting(new Date(now.getTime() - SWEEP_GRACE_MS))) {
      const planned = this.options.plan.find((p) => p.task === waiting.task)
      // A task this beat does not schedule (--task) is another beat's; an old slot is superseded when the next is recorded.
      if (!planned || slotStart(planned.schedule, now).getTime() !== waiting.slotStart.getTime()) continue
      if (await this.options.queue.has(beatJobId(waiting.task, waiting.slotStart)).catch(() => true)) continue
      if (await this.enqueue(planned, waiting.slotStart)) requeued += 1
    }
    if (requeued > 0) this.options.logger.warn({requeued}, 'beat: runs whose job Redis did not have were queued again')
    this.requeued += requeued
    return requeued
  }

  private async enqueue(planned: PlannedTask, slot: Date): Promise<boolean> {
    try {
      await this.options.queue.enqueue({task: planned.task, slotStart: slot.toISOString(), params: {...planned.params}})
      return true
    } catch (error) {
      this.options.logger.warn({task: planned.task, slotStart: slot.toISOString(), err: messageOf(error)}, 'beat: Redis did not take the job; the sweep queues it again')
      return false
    }
  }

  private remember(run: ScheduledRun): void {
    this.scheduledTotal += 1
    this.scheduled.push(run)
    if (this.scheduled.length > KEEP_SCHEDULED) this.scheduled = this.scheduled.slice(-KEEP_SCHEDULED)
  }

  private result(stoppedBy: BeatResult['stoppedBy']): BeatResult {
    return {stoppedBy, scheduled: [...this.scheduled], scheduledTotal: this.scheduledTotal, requeued: this.requeued, superseded: this.superseded}
  }
}
