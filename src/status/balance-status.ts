// The balances' part of the status: rows that cannot be served from cache, drift the reconciler
// found and has not seen agree again, its last run, and what Redis has not been told yet.
import type {Database} from '../store/database.ts'
import {readOpenDrift} from '../reconcile/drift-records.ts'
import type {BalanceStatus, ReconcileRunView} from './status-report.ts'

/** Open drift records listed by name (the largest differences); the count covers them all. */
const LARGEST_DRIFT = 5

export async function readBalanceStatus(db: Database): Promise<BalanceStatus> {
  const [rows, drift, largest, lastReconcile, cacheOutbox] = await Promise.all([
    readBalanceRows(db),
    countOpenDrift(db),
    readOpenDrift(db, LARGEST_DRIFT),
    readLastReconcile(db),
    readCacheOutbox(db),
  ])
  return {...rows, drift: {open: drift, largest}, lastReconcile, cacheOutbox}
}

/** Drift records not closed: balances the reconciler found differing from the chain and has not seen agree since. */
export async function countOpenDrift(db: Database): Promise<number> {
  const {rows} = await db.raw<{rows: {open: number}[]}>(`SELECT count(*)::int AS open FROM balance_drift WHERE closed_at IS NULL`)
  return rows[0]?.open ?? 0
}

/** Balances of removed accounts are left out: removing an account marks them stale for good. */
async function readBalanceRows(db: Database): Promise<Pick<BalanceStatus, 'rows' | 'stale' | 'withoutBase'>> {
  const {rows} = await db.raw<{rows: {rows: number; stale: number; without_base: number}[]}>(
    `SELECT count(*)::int AS rows,
            count(*) FILTER (WHERE b.is_stale)::int AS stale,
            count(*) FILTER (WHERE b.base_checkpoint IS NULL)::int AS without_base
       FROM balances b JOIN accounts a ON a.id = b.account_id
      WHERE a.deleted_at IS NULL`,
  )
  const row = rows[0]
  return {rows: row?.rows ?? 0, stale: row?.stale ?? 0, withoutBase: row?.without_base ?? 0}
}

export async function readLastReconcile(db: Database): Promise<ReconcileRunView | null> {
  const {rows} = await db.raw<{
    rows: {
      id: string
      trigger: string
      dry_run: boolean
      started_at: Date
      finished_at: Date | null
      selected: number
      checked: number
      in_flight: number
      in_drift: number
      errors: number
      outcome: string | null
      error: string | null
    }[]
  }>(`SELECT id, trigger, dry_run, started_at, finished_at, selected, checked, in_flight, in_drift, errors, outcome, error FROM reconcile_runs ORDER BY id DESC LIMIT 1`)
  const r = rows[0]
  if (!r) return null
  return {
    id: String(r.id),
    trigger: r.trigger,
    dryRun: r.dry_run,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    selected: r.selected,
    checked: r.checked,
    inFlight: r.in_flight,
    inDrift: r.in_drift,
    errors: r.errors,
    outcome: r.outcome,
    error: r.error,
  }
}

export async function readCacheOutbox(db: Database): Promise<BalanceStatus['cacheOutbox']> {
  const {rows} = await db.raw<{rows: {backlog: number; oldest_age_ms: number | null}[]}>(
    `SELECT count(*)::int AS backlog, round(extract(epoch FROM now() - min(created_at)) * 1000)::float8 AS oldest_age_ms FROM balance_cache_outbox`,
  )
  return {backlog: rows[0]?.backlog ?? 0, oldestAgeMs: rows[0]?.oldest_age_ms ?? null}
}
