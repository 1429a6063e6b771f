// What `confio test-balance --user-email` prints: the account, then a row per read path and token
// (its amount in display units and in base units, pending and available when any is pending, where
// the value came from, its checkpoint, the chain reads and the time the step took).
import type {BalanceStepsResult} from '../../src/balances/balance-benchmark.ts'
import type {AmountFormatter} from '../../src/tokens/amount-formatter.ts'
import {formatTable} from '../table.ts'

export function renderBalanceSteps(r: BalanceStepsResult, amounts: AmountFormatter): string {
  const withPending = r.rows.some((row) => row.pending !== 0n)
  const rows = r.rows.map((row) => {
    const cells = [row.step, row.token, amounts.format(row.amount, row.token), row.amount.toString()]
    if (withPending) cells.push(row.pending === 0n ? '' : `${amounts.format(row.pending, row.token)} / ${amounts.format(row.available, row.token)}`)
    cells.push(row.staleReason ? `${row.source} (stale: ${row.staleReason})` : row.source, row.checkpoint?.toString() ?? '-', String(row.chainReads), row.ms.toFixed(1))
    return cells
  })
  const headers = ['STEP', 'TOKEN', 'AMOUNT', 'BASE UNITS', ...(withPending ? ['PENDING / AVAILABLE'] : []), 'SOURCE', 'CHECKPOINT', 'CHAIN READS', 'MS']
  return [`Account ${r.account.id} (${r.account.email ?? 'no email'}, ${r.account.address})`, formatTable(headers, rows)].join('\n')
}
