// What `confio reconcile` prints after a run: one summary line, the drift found (amounts in display
// units, the difference in base units), then each account in flight and the first ten errors.
import type {ReconcileReport} from '../../src/reconcile/reconcile-report.ts'
import {accountsIn} from '../../src/reconcile/reconcile-runs.ts'
import {counted} from '../../src/support/counted.ts'
import type {AmountFormatter} from '../../src/tokens/amount-formatter.ts'
import {formatTable} from '../table.ts'
import {driftCells} from './drift-cells.ts'

export function renderReconcileReport(report: ReconcileReport, amounts: AmountFormatter): string {
  const mode = report.dryRun ? ' (dry run: nothing written)' : ''
  const lines = [
    `Checked ${report.checked} of ${counted(report.selected, 'account')} in ${(report.durationMs / 1000).toFixed(1)} s${mode}: ` +
      `${report.inFlight.length} in flight, ${accountsIn(report.drift)} in drift, ${counted(report.errors.length, 'error')}; ${counted(report.closed, 'drift record')} closed.`,
  ]
  if (report.drift.length > 0) {
    const rows = report.drift.map((d) => [
      ...driftCells(d, amounts),
      d.difference.toString(),
      d.checkpoint.toString(),
      d.corrected ? 'corrected' : 'not written',
    ])
    lines.push(formatTable(['ACCOUNT', 'TOKEN', 'CACHED', 'CHAIN', 'DIFFERENCE (BASE UNITS)', 'CHECKPOINT', 'CACHE'], rows))
  }
  for (const a of report.inFlight) lines.push(`in flight: account ${a.accountId} (${a.address}): transactions up to the chain's height not processed yet`)
  for (const e of report.errors.slice(0, 10)) lines.push(`error: account ${e.accountId} (${e.address}): ${e.message}`)
  return lines.join('\n')
}
