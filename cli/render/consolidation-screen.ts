// What `confio coins consolidate` prints: what it consolidates and whether that is due, the holding
// before, a row per transaction (its coins, amount, gas and the holding after it), the holding after
// all of them and the net gas, and, after a dry run, how to send them.
import type {HoldingSummary} from '../../src/coins/consolidation-plan.ts'
import type {ConsolidationResult} from '../../src/coins/consolidation-result.ts'
import {formatAmount, formatSui, formatTokenAmount} from '../../src/tokens/amounts.ts'
import type {Token} from '../../src/tokens/token-registry.ts'
import {formatTable} from '../table.ts'

export function renderConsolidation(r: ConsolidationResult, token: Token): string {
  const holding = (h: HoldingSummary) => `${h.coins.toLocaleString('en-US')} coin${h.coins === 1 ? '' : 's'} holding ${formatTokenAmount(h.coinBalance, token)}, address balance ${formatTokenAmount(h.addressBalance, token)}`
  const lines = [
    `${r.executed ? 'Consolidated' : 'Consolidating'} ${r.token} of ${r.address} into ${r.into === 'coin' ? 'one coin' : 'the address balance'}${r.executed ? '' : ' (dry run: nothing is sent)'}`,
    `${r.due.due ? 'Due' : 'Not due'}: ${r.due.reason}`,
    `Before: ${holding(r.before)}`,
  ]
  if (r.transactions.length === 0) return [...lines, 'Nothing to do: no coins to consolidate.'].join('\n')
  lines.push(`Plan: ${r.transactions.length} transaction${r.transactions.length === 1 ? '' : 's'} within the protocol limits (${r.limits.source})${r.kept.length ? `, ${r.kept.length} largest coins kept` : ''}`)
  const rows = r.transactions.map(({step, coins, amount, outcome}) => [
    String(step),
    coins.length.toLocaleString('en-US'),
    formatAmount(amount, token.decimals),
    outcome ? formatSui(outcome.gasBudget) : '-',
    outcome ? formatSui(outcome.gasUsed) : '-',
    outcome ? (outcome.status.success ? 'ok' : `failed: ${outcome.status.error}`) : 'skipped (its coins are gone)',
    outcome ? outcome.after.coins.toLocaleString('en-US') : '-',
    outcome ? `${formatAmount(outcome.after.coinBalance, token.decimals)} / ${formatAmount(outcome.after.addressBalance, token.decimals)}` : '-',
    ...(r.executed ? [outcome?.digest ?? '-', outcome?.checkpoint?.toString() ?? '-'] : []),
  ])
  const headers = ['STEP', 'COINS', 'AMOUNT', 'GAS BUDGET', 'NET GAS', r.executed ? 'STATUS' : 'SIMULATED', 'COINS AFTER', 'IN COINS / ADDRESS BALANCE AFTER', ...(r.executed ? ['DIGEST', 'CHECKPOINT'] : [])]
  lines.push(formatTable(headers, rows))
  // Merging coins deletes objects, whose storage rebate can exceed the cost: a negative net gas.
  lines.push(`After: ${holding(r.after)}${r.executed ? '' : ' (expected)'}; net gas ${formatSui(r.gasUsed)}${r.gasUsed < 0n ? ' (storage rebates exceed the cost)' : ''}`)
  if (!r.executed) lines.push(`Run again with --execute to send ${r.transactions.length === 1 ? 'it' : 'them'}, signed with SUI_PRIVATE_KEY.`)
  return lines.join('\n')
}
