// The run record (reconcile_runs): opened when a run that writes starts, closed with its counts
// and outcome, or marked failed with what it had counted and why. `confio status` shows the newest.
import {messageOf} from '../errors.ts'
import type {Database} from '../store/database.ts'
import type {DriftFinding, ReconcileOptions, ReconcileReport} from './reconcile-report.ts'

/** What a run that stopped on an error had counted. */
export interface CountsSoFar {
  readonly checked: number
  readonly drift: readonly DriftFinding[]
  readonly errors: number
}

export async function openRunRecord(db: Database, trigger: ReconcileOptions['trigger']): Promise<string> {
  const {rows} = await db.raw<{rows: {id: string}[]}>('INSERT INTO reconcile_runs (trigger) VALUES (?) RETURNING id::text', [trigger])
  return rows[0]!.id
}

export async function closeRunRecord(db: Database, id: string, report: ReconcileReport): Promise<void> {
  await db.raw(
    'UPDATE reconcile_runs SET finished_at = now(), selected = ?, checked = ?, in_flight = ?, in_drift = ?, errors = ?, outcome = ? WHERE id = ?',
    [report.selected, report.checked, report.inFlight.length, accountsIn(report.drift), report.errors.length, report.outcome, id],
  )
}

/** A run that stopped on an error (or was stopped): what it had counted, and why. */
export async function failRunRecord(db: Database, id: string, counts: CountsSoFar, error: unknown, stopped: boolean): Promise<void> {
  const message = stopped ? 'stopped before it finished' : messageOf(error)
  await db.raw(`UPDATE reconcile_runs SET finished_at = now(), checked = ?, in_drift = ?, errors = ?, outcome = 'failed', error = ? WHERE id = ?`, [
    counts.checked,
    accountsIn(counts.drift),
    counts.errors,
    message.slice(0, 1_000),
    id,
  ])
}

/** in_drift counts accounts, not balances (the report's screen says the same). */
export function accountsIn(drift: readonly DriftFinding[]): number {
  return new Set(drift.map((d) => d.accountId)).size
}
