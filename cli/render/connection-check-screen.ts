// What `confio test-connection` prints: the endpoint, its chain and height, the latency, whether
// streaming works and how backfill will read history, then with --address a row per token
// (amounts in display units, by the coin type the node answered for).
import type {ConnectionCheckResult} from '../../src/chain/index.ts'
import type {AmountFormatter} from '../../src/tokens/amount-formatter.ts'
import {formatTable} from '../table.ts'

export function renderConnectionCheck(r: ConnectionCheckResult, amounts: AmountFormatter): string {
  const ms = (n: number) => `${n.toFixed(1)} ms`
  const lines = [
    `Endpoint:      ${r.endpoint}`,
    `Chain:         ${r.chainId} (${r.chainName}; configured: ${r.configuredNetwork})`,
    `Checkpoint:    ${r.checkpointHeight} (${(r.checkpointAgeMs / 1000).toFixed(1)} s old), lowest available ${r.lowestAvailableCheckpoint}`,
    `Server:        ${r.serverVersion}`,
    `Latency:       min ${ms(r.latency.minMs)}, p50 ${ms(r.latency.p50Ms)}, p99 ${ms(r.latency.p99Ms)} over ${r.latency.samples} calls`,
    `Streaming:     ${streamingLine(r.streaming)}`,
    `Backfill:      ${backfillLine(r)}`,
  ]
  if (r.balances) {
    lines.push(`\nBalances of ${r.balances.address}:`)
    const rows = r.balances.tokens.map((t) => [t.symbol, ...[t.total, t.coinBalance, t.addressBalance].map((value) => amounts.format(value, t.coinType)), String(t.coinObjects)])
    lines.push(formatTable(['TOKEN', 'TOTAL', 'IN COINS', 'ADDRESS BALANCE', 'COIN OBJECTS'], rows))
  }
  return lines.join('\n')
}

function backfillLine(r: ConnectionCheckResult): string {
  switch (r.transactionListing) {
    case 'supported':
      return 'ListTransactions is served: confio backfill reads account history with it'
    case 'unimplemented':
      return 'ListTransactions is not served (UNIMPLEMENTED): confio backfill will scan checkpoints'
    case 'unknown':
      return `could not tell whether ListTransactions is served (${r.transactionListingError ?? 'no reason given'}): confio backfill will scan checkpoints if it is not`
  }
}

function streamingLine(streaming: ConnectionCheckResult['streaming']): string {
  return streaming.ok ? `works, first frame (checkpoint ${streaming.checkpoint}) after ${streaming.firstFrameMs.toFixed(0)} ms` : `not working (${streaming.error})`
}
