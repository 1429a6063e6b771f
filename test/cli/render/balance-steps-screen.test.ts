// confio test-balance --user-email's screen: amounts in display units beside the base units; a
// token the registry does not know in base units, labelled so, never as whole tokens.
import assert from 'node:assert/strict'
import {renderBalanceSteps} from '../../../cli/render/balance-steps-screen.ts'
import type {BalanceStepRow} from '../../../src/balances/balance-benchmark.ts'
import {SUI_COIN_TYPE} from '../../../src/sui/identifiers.ts'
import {AmountFormatter} from '../../../src/tokens/amount-formatter.ts'
import {TokenRegistry} from '../../../src/tokens/token-registry.ts'

const row = (token: string, amount: bigint, pending: bigint): BalanceStepRow => ({
  step: 'cached',
  token,
  amount,
  pending,
  available: amount - pending,
  checkpoint: 7n,
  lastSynced: null,
  isStale: false,
  staleReason: null,
  source: 'redis',
  ms: 0.4,
  chainReads: 0,
})

describe("confio test-balance's steps screen", () => {
  it('a token not registered: its amounts in base units, labelled so', () => {
    const amounts = new AmountFormatter(new TokenRegistry([{symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9}]))
    const screen = renderBalanceSteps({account: {id: '7', email: 'ana@example.com', address: '0xa11ce'}, tokens: ['SUI', 'USDT'], rows: [row('SUI', 2_500_000_000n, 0n), row('USDT', 5_000_000n, 2_000_000n)]}, amounts)
    assert.match(screen, /^Account 7 \(ana@example\.com, 0xa11ce\)$/m)
    assert.match(screen, /^cached +SUI +2\.5 +2500000000 +redis +7 +0 +0\.4$/m)
    assert.match(screen, /^cached +USDT +5000000 \(base units\) +5000000 +2000000 \(base units\) \/ 3000000 \(base units\) +redis +7 +0 +0\.4$/m)
  })
})
