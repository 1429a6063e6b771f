// The token transfer handler's rules on hand-built transactions: the cases the local Sui server
// does not produce (sponsored gas, a net rebate, several parties on one side).
import assert from 'node:assert/strict'
import type {ProcessableTransaction} from '../../src/processing/processable-transaction.ts'
import {TokenTransferHandler} from '../../src/processing/token-transfer-handler.ts'
import {normalizeCoinType, SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'

const addr = (c: string) => `0x${c.repeat(64)}`
const [A, B, C, S] = [addr('a'), addr('b'), addr('c'), addr('5')]
const CUSD = normalizeCoinType(`${addr('1')}::cusd::CUSD`)
const tokens = new TokenRegistry([
  {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
  {symbol: 'CUSD', coinType: CUSD, decimals: 6},
])
const handler = new TokenTransferHandler(tokens)
const accounts = new Map([[A, '1'], [B, '2'], [S, '9']])

function tx(overrides: Partial<ProcessableTransaction>): ProcessableTransaction {
  return {
    digest: 'd', checkpoint: 1n, timestampMs: 1n, sender: A, success: true, executionError: null, moveCalls: [], events: [],
    balanceChanges: [], gasUsed: 100n, gasOwner: A, parseError: null, processedAt: null, ...overrides,
  }
}

describe('token transfer handler', () => {
  it('charge the sponsor the fee, not the sender', () => {
    const effects = handler.handle(tx({gasOwner: S, balanceChanges: [
      {address: A, coinType: CUSD, amount: -10n}, {address: B, coinType: CUSD, amount: 10n}, {address: S, coinType: SUI_COIN_TYPE, amount: -100n},
    ]}), accounts)
    assert.deepEqual(effects.accountTransactions, [
      {accountId: '9', token: 'SUI', direction: 'fee', amount: 100n, counterparty: null},
      {accountId: '1', token: 'CUSD', direction: 'sent', amount: 10n, counterparty: B},
      {accountId: '2', token: 'CUSD', direction: 'received', amount: 10n, counterparty: A},
    ])
    assert.deepEqual(effects.balanceChanges, [
      {accountId: '1', token: 'CUSD', amount: -10n},
      {accountId: '2', token: 'CUSD', amount: 10n},
      {accountId: '9', token: 'SUI', amount: -100n},
    ])
  })

  it('write no fee for a net rebate, and keep the transfer part exact', () => {
    // gas_used = −30 (rebate larger than the charges): A's SUI change is −500 sent + 30 back.
    const effects = handler.handle(tx({gasUsed: -30n, balanceChanges: [{address: A, coinType: SUI_COIN_TYPE, amount: -470n}, {address: B, coinType: SUI_COIN_TYPE, amount: 500n}]}), accounts)
    assert.deepEqual(effects.accountTransactions, [
      {accountId: '1', token: 'SUI', direction: 'sent', amount: 500n, counterparty: B},
      {accountId: '2', token: 'SUI', direction: 'received', amount: 500n, counterparty: A},
    ])
  })

  it('record SUI the gas owner receives while paying gas as received', () => {
    const effects = handler.handle(tx({balanceChanges: [{address: A, coinType: SUI_COIN_TYPE, amount: 900n}, {address: C, coinType: SUI_COIN_TYPE, amount: -1000n}]}), accounts)
    assert.deepEqual(effects.accountTransactions, [
      {accountId: '1', token: 'SUI', direction: 'fee', amount: 100n, counterparty: null},
      {accountId: '1', token: 'SUI', direction: 'received', amount: 1000n, counterparty: C},
    ])
    // The chain's own net figure, gas included: what a balance kept exact adds.
    assert.deepEqual(effects.balanceChanges, [{accountId: '1', token: 'SUI', amount: 900n}])
  })

  it('report a gas owner whose other SUI changes offset its gas as a change of 0', () => {
    const effects = handler.handle(tx({balanceChanges: [{address: B, coinType: CUSD, amount: 5n}, {address: C, coinType: CUSD, amount: -5n}]}), accounts)
    assert.deepEqual(effects.balanceChanges, [{accountId: '2', token: 'CUSD', amount: 5n}, {accountId: '1', token: 'SUI', amount: 0n}])
  })

  it('leave the counterparty empty when several addresses are on the other side, and ignore unregistered coins', () => {
    const effects = handler.handle(tx({balanceChanges: [
      {address: A, coinType: CUSD, amount: -10n}, {address: B, coinType: CUSD, amount: 6n}, {address: C, coinType: CUSD, amount: 4n},
      {address: A, coinType: `${addr('7')}::other::OTHER`, amount: 5n}, {address: A, coinType: SUI_COIN_TYPE, amount: -100n},
    ]}), accounts)
    assert.deepEqual(effects.accountTransactions.filter((r) => r.token === 'CUSD'), [
      {accountId: '1', token: 'CUSD', direction: 'sent', amount: 10n, counterparty: null},
      {accountId: '2', token: 'CUSD', direction: 'received', amount: 6n, counterparty: A},
    ])
  })

  it('write only the fee of a failed transaction', () => {
    const effects = handler.handle(tx({success: false, balanceChanges: [{address: A, coinType: SUI_COIN_TYPE, amount: -100n}, {address: B, coinType: CUSD, amount: 5n}]}), accounts)
    assert.deepEqual(effects.accountTransactions, [{accountId: '1', token: 'SUI', direction: 'fee', amount: 100n, counterparty: null}])
    assert.deepEqual(effects.balanceChanges, [{accountId: '1', token: 'SUI', amount: -100n}])
  })
})
