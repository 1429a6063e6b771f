// The scheduler's part of the status: for each beat task its newest run, its newest successful
// run, how many of its slots were superseded (never run: a newer slot of the task was scheduled
// before any worker started them) within the last day, and its next run (the next slot the beat
// recorded with the newest run, under its own schedule), read from beat_runs only (the beat itself
// is not asked).
import type {Database} from '../store/database.ts'
import type {BeatStatus, BeatTaskView} from './status-report.ts'

/** The window of BeatTaskView.supersededLastDay. */
const SUPERSEDED_WINDOW_MS = 86_400_000

interface BeatTaskRow {
  task: string
  slot_start: Date
  enqueued_at: Date
  started_at: Date | null
  finished_at: Date | null
  outcome: string | null
  next_slot_start: Date | null
  success_slot_start: Date | null
  success_finished_at: Date | null
  superseded: number
}

export async function readBeatStatus(db: Database): Promise<BeatStatus> {
  // Per task through the primary key (task, slot_start): beat_runs keeps every run ever scheduled.
  const {rows} = await db.raw<{rows: BeatTaskRow[]}>(
    `SELECT l.task, l.slot_start, l.enqueued_at, l.started_at, l.finished_at, l.outcome, l.next_slot_start,
            s.slot_start AS success_slot_start, s.finished_at AS success_finished_at, x.superseded
     FROM (SELECT DISTINCT ON (task) task, slot_start, enqueued_at, started_at, finished_at, outcome, next_slot_start FROM beat_runs ORDER BY task, slot_start DESC) l
     LEFT JOIN LATERAL (SELECT slot_start, finished_at FROM beat_runs WHERE task = l.task AND outcome = 'done' ORDER BY slot_start DESC LIMIT 1) s ON true
     CROSS JOIN LATERAL (
       SELECT count(*)::int AS superseded FROM beat_runs
       WHERE task = l.task AND outcome = 'superseded' AND slot_start > now() - ? * interval '1 millisecond'
     ) x
     ORDER BY l.task`,
    [SUPERSEDED_WINDOW_MS],
  )
  const tasks = rows.map(
    (r): BeatTaskView => ({
      task: r.task,
      slotStart: r.slot_start.toISOString(),
      enqueuedAt: r.enqueued_at.toISOString(),
      startedAt: r.started_at?.toISOString() ?? null,
      finishedAt: r.finished_at?.toISOString() ?? null,
      outcome: r.outcome,
      state: stateOf(r),
      lastSuccess: r.success_slot_start && r.success_finished_at ? {slotStart: r.success_slot_start.toISOString(), finishedAt: r.success_finished_at.toISOString()} : null,
      supersededLastDay: r.superseded,
      nextRun: r.next_slot_start?.toISOString() ?? null,
    }),
  )
  return {tasks, scheduleKnown: tasks.every((t) => t.nextRun !== null)}
}

function stateOf(r: BeatTaskRow): BeatTaskView['state'] {
  if (r.outcome === 'done' || r.outcome === 'failed' || r.outcome === 'superseded') return r.outcome
  return r.started_at ? 'running' : 'enqueued'
}

/** A task's newest finished run (done or failed) and newest successful one; null: none yet. */
export interface BeatTaskTimes {
  readonly task: string
  readonly lastRun: Date | null
  readonly lastSuccess: Date | null
}

/** For each of `tasks`, when its newest finished run and its newest successful run finished (/metrics). */
export async function readBeatTaskTimes(db: Database, tasks: readonly string[]): Promise<BeatTaskTimes[]> {
  // Each through the primary key (task, slot_start), newest first: beat_runs keeps every run ever scheduled.
  const {rows} = await db.raw<{rows: {task: string; last_run: Date | null; last_success: Date | null}[]}>(
    `SELECT t.task,
            (SELECT finished_at FROM beat_runs WHERE task = t.task AND outcome IN ('done', 'failed') ORDER BY slot_start DESC LIMIT 1) AS last_run,
            (SELECT finished_at FROM beat_runs WHERE task = t.task AND outcome = 'done' ORDER BY slot_start DESC LIMIT 1) AS last_success
       FROM unnest(string_to_array(?, ',')) AS t(task)`,
    [tasks.join(',')],
  )
  return rows.map((r) => ({task: r.task, lastRun: r.last_run, lastSuccess: r.last_success}))
}
