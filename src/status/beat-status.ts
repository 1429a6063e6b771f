// The scheduler's part of the status: each beat task's newest run, read from beat_runs only (the
// beat itself is not asked). The next run needs the beat's schedule; without one it is unknown.
import type {Database} from '../store/database.ts'
import type {BeatStatus, BeatTaskView} from './status-report.ts'

/** When `task` runs next, given the slot of its newest run; null when the task is not scheduled. */
export type NextBeatRun = (task: string, lastSlotStart: Date) => Date | null

export async function readBeatStatus(db: Database, nextRun?: NextBeatRun): Promise<BeatStatus> {
  const {rows} = await db.raw<{rows: {task: string; slot_start: Date; enqueued_at: Date; started_at: Date | null; finished_at: Date | null; outcome: string | null}[]}>(
    `SELECT DISTINCT ON (task) task, slot_start, enqueued_at, started_at, finished_at, outcome FROM beat_runs ORDER BY task, slot_start DESC`,
  )
  const tasks = rows.map(
    (r): BeatTaskView => ({
      task: r.task,
      slotStart: r.slot_start.toISOString(),
      enqueuedAt: r.enqueued_at.toISOString(),
      startedAt: r.started_at?.toISOString() ?? null,
      finishedAt: r.finished_at?.toISOString() ?? null,
      outcome: r.outcome,
      state: r.outcome === 'done' || r.outcome === 'failed' ? r.outcome : r.started_at ? 'running' : 'enqueued',
      nextRun: nextRun?.(r.task, r.slot_start)?.toISOString() ?? null,
    }),
  )
  return {tasks, scheduleKnown: nextRun !== undefined}
}
