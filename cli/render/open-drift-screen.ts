// What `confio reconcile --report` prints: the open drift records, amounts in display units (a
// token no longer registered in base units, labelled so), the difference in base units.
import type {OpenDriftRecord} from '../../src/reconcile/drift-records.ts'
import type {AmountFormatter} from '../../src/tokens/amount-formatter.ts'
import {formatTable} from '../table.ts'
import {driftCells} from './drift-cells.ts'

export function renderOpenDrift(records: readonly OpenDriftRecord[], amounts: AmountFormatter): string {
  if (records.length === 0) return 'No open drift records.'
  const rows = records.map((d) => [
    ...driftCells(d, amounts),
    d.difference.toString(),
    String(d.runs),
    d.firstSeen,
    d.lastSeen,
  ])
  return formatTable(['ACCOUNT', 'TOKEN', 'CACHED', 'CHAIN', 'DIFFERENCE (BASE UNITS)', 'RUNS', 'FIRST SEEN', 'LAST SEEN'], rows)
}
