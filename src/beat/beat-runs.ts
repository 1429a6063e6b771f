// beat_runs: one row per scheduled run of a beat task, keyed by (task, slot_start). The beat
// inserts it (ON CONFLICT DO NOTHING: with the job id, the second guard against a run scheduled
// twice) before it creates the job; the worker that runs it marks it started, then finished with
// its outcome and a small detail.
//
//   enqueued -> started -> finished (done | failed)
//   enqueued -> finished (failed): superseded by a later slot before any worker started it, or a
//               worker died mid-run and the job came back (never run twice: the next slot runs it)
import type {Database} from '../store/database.ts'

export interface BeatRunKey {
  readonly task: string
  readonly slotStart: Date
}

/** What a worker finds when it claims a run. */
export type ClaimState = 'claimed' | 'finished' | 'interrupted' | 'missing'

export interface WaitingRun extends BeatRunKey {
  readonly enqueuedAt: Date
}

export class BeatRuns {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  /** Records a scheduled run; false when that slot's run was recorded already. */
  async record(key: BeatRunKey): Promise<boolean> {
    const {rows} = await this.db.raw<{rows: unknown[]}>('INSERT INTO beat_runs (task, slot_start) VALUES (?, ?) ON CONFLICT (task, slot_start) DO NOTHING RETURNING 1', [key.task, key.slotStart])
    return rows.length === 1
  }

  /** Runs of `task` before `slotStart` that no worker started: failed, superseded. Returns how many. */
  async supersede(task: string, slotStart: Date): Promise<number> {
    const {rowCount} = await this.db.raw(
      `UPDATE beat_runs SET finished_at = now(), outcome = 'failed', detail = jsonb_build_object('error', 'superseded by the run of ' || ?::text || ': no worker started it in its slot')
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

  /** Marks the run started, if no one has started or finished it. */
  async claim(key: BeatRunKey): Promise<ClaimState> {
    const {rows} = await this.db.raw<{rows: unknown[]}>(
      'UPDATE beat_runs SET started_at = now() WHERE task = ? AND slot_start = ? AND started_at IS NULL AND finished_at IS NULL RETURNING 1',
      [key.task, key.slotStart],
    )
    if (rows.length === 1) return 'claimed'
    const row = await this.db('beat_runs').select('started_at', 'finished_at').where({task: key.task, slot_start: key.slotStart}).first()
    if (!row) return 'missing'
    return row.finished_at ? 'finished' : 'interrupted'
  }

  async finish(key: BeatRunKey, outcome: 'done' | 'failed', detail: Readonly<Record<string, unknown>>): Promise<void> {
    await this.db.raw('UPDATE beat_runs SET finished_at = now(), outcome = ?, detail = ?::jsonb WHERE task = ? AND slot_start = ?', [outcome, JSON.stringify(detail), key.task, key.slotStart])
  }
}
