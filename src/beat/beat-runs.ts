// beat_runs: one row per scheduled run of a beat task, keyed by (task, slot_start). The beat
// inserts it (ON CONFLICT DO NOTHING: with the job id, the second guard against a run scheduled
// twice) before it creates the job, with the start of the task's next slot under its schedule
// (next_slot_start: `confio status` shows it); the worker that runs it marks it started, then
// finished with its outcome and a small detail.
//
//   enqueued -> started -> finished (done | failed)
//   enqueued -> finished (superseded): a later slot of its task was recorded before any worker
//               started it (no worker took it, or its task's previous run was still running)
//   started  -> finished (failed): a worker died mid-run and the job came back, or Redis lost it
//               (never run twice: the next slot runs it)
//
// At most one run per task is started and not finished (beat_runs_running_idx): a claim while
// another run of the task runs is refused (`busy`), so one task never overlaps itself, whichever
// workers hold its jobs. A claim is never refused for another task's run.
import type {Database} from '../store/database.ts'

export interface BeatRunKey {
  readonly task: string
  readonly slotStart: Date
}

/** The index that keeps one run per task running (migration 20261205000000). */
const RUNNING_INDEX = 'beat_runs_running_idx'

/** What a worker finds when it claims a run. busy: another run of its task runs (`running`: its slot; null: it just ended). */
export type Claim = {readonly state: 'claimed' | 'finished' | 'interrupted' | 'missing'} | {readonly state: 'busy'; readonly running: Date | null}

export interface WaitingRun extends BeatRunKey {
  readonly enqueuedAt: Date
}

export class BeatRuns {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  /** Records a scheduled run, and when its task is due next; false when that slot's run was recorded already. */
  async record(key: BeatRunKey, nextSlotStart: Date): Promise<boolean> {
    const {rows} = await this.db.raw<{rows: unknown[]}>(
      'INSERT INTO beat_runs (task, slot_start, next_slot_start) VALUES (?, ?, ?) ON CONFLICT (task, slot_start) DO NOTHING RETURNING 1',
      [key.task, key.slotStart, nextSlotStart],
    )
    return rows.length === 1
  }

  /** Runs of `task` before `slotStart` that no worker started: superseded. Returns how many. */
  async supersede(task: string, slotStart: Date): Promise<number> {
    const {rowCount} = await this.db.raw(
      `UPDATE beat_runs SET finished_at = now(), outcome = 'superseded', detail = jsonb_build_object('supersededBy', ?::text)
       WHERE task = ? AND slot_start < ? AND started_at IS NULL AND finished_at IS NULL`,
      [slotStart.toISOString(), task, slotStart],
    )
    return rowCount ?? 0
  }

  /** Runs recorded before `enqueuedBefore` that no worker has started yet. */
  async waiting(enqueuedBefore: Date): Promise<WaitingRun[]> {
    const {rows} = await this.db.raw<{rows: {task: string; slot_start: Date; enqueued_at: Date}[]}>(
      'SELECT task, slot_start, enqueued_at FROM beat_runs WHERE started_at IS NULL AND finished_at IS NULL AND enqueued_at < ? ORDER BY slot_start',
      [enqueuedBefore],
    )
    return rows.map((r) => ({task: r.task, slotStart: r.slot_start, enqueuedAt: r.enqueued_at}))
  }

  /** Marks the run started, if no one has started or finished it and no other run of its task runs. */
  async claim(key: BeatRunKey): Promise<Claim> {
    try {
      const {rows} = await this.db.raw<{rows: unknown[]}>(
        `UPDATE beat_runs SET started_at = now()
         WHERE task = ? AND slot_start = ? AND started_at IS NULL AND finished_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM beat_runs o WHERE o.task = ? AND o.started_at IS NOT NULL AND o.finished_at IS NULL)
         RETURNING 1`,
        [key.task, key.slotStart, key.task],
      )
      if (rows.length === 1) return {state: 'claimed'}
    } catch (error) {
      // Another worker started a run of this task between the check and the write: the index said no.
      const {code, constraint} = error as {code?: string; constraint?: string}
      if (code !== '23505' || constraint !== RUNNING_INDEX) throw error
    }
    const {rows} = await this.db.raw<{rows: {started_at: Date | null; finished_at: Date | null; running: Date | null}[]}>(
      `SELECT r.started_at, r.finished_at,
              (SELECT o.slot_start FROM beat_runs o WHERE o.task = r.task AND o.slot_start <> r.slot_start AND o.started_at IS NOT NULL AND o.finished_at IS NULL) AS running
       FROM beat_runs r WHERE r.task = ? AND r.slot_start = ?`,
      [key.task, key.slotStart],
    )
    const row = rows[0]
    if (!row) return {state: 'missing'}
    if (row.finished_at) return {state: 'finished'}
    if (row.started_at) return {state: 'interrupted'}
    return {state: 'busy', running: row.running}
  }

  async finish(key: BeatRunKey, outcome: 'done' | 'failed', detail: Readonly<Record<string, unknown>>): Promise<void> {
    await this.db.raw('UPDATE beat_runs SET finished_at = now(), outcome = ?, detail = ?::jsonb WHERE task = ? AND slot_start = ?', [outcome, JSON.stringify(detail), key.task, key.slotStart])
  }

  /** Finishes a started run `failed` whose worker is gone, unless it has finished meanwhile; true when it had not. */
  async abandon(key: BeatRunKey, error: string): Promise<boolean> {
    const {rowCount} = await this.db.raw(
      `UPDATE beat_runs SET finished_at = now(), outcome = 'failed', detail = jsonb_build_object('error', ?::text)
       WHERE task = ? AND slot_start = ? AND started_at IS NOT NULL AND finished_at IS NULL`,
      [error, key.task, key.slotStart],
    )
    return (rowCount ?? 0) === 1
  }
}
