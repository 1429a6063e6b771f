import assert from 'node:assert/strict'
import type {TransactionRecord} from '../../src/chain/index.ts'
import {AddressSet} from '../../src/ingest/address-set.ts'
import {RelevanceFilter} from '../../src/ingest/relevance-filter.ts'
import {normalizeAddress, normalizeCoinType, SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'

const addr = (hex: string) => normalizeAddress(`0x${hex}`)
const CUSD_PKG = addr('c05d')
const PAY_PKG = addr('ba4')
const CUSD = normalizeCoinType(`${CUSD_PKG}::cusd::CUSD`)
const USDC = normalizeCoinType('0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC')
const OTHER_COIN = normalizeCoinType('0xabc::meme::MEME')
const [alice, bob, carol, sponsor] = [addr('a1'), addr('b0b'), addr('ca'), addr('5b')] as [string, string, string, string]

function tx(overrides: Partial<TransactionRecord>): TransactionRecord {
  return {
    digest: 'D',
    index: 0,
    checkpoint: 1n,
    timestampMs: 0,
    sender: bob,
    gasOwner: bob,
    moveCalls: [],
    events: [],
    balanceChanges: [{address: bob, coinType: SUI_COIN_TYPE, amount: -1_000n}],
    status: {success: true},
    gasUsed: 1_000n,
    ...overrides,
  }
}

describe('RelevanceFilter', () => {
  const accounts = new AddressSet()
  accounts.add(alice)
  const filter = new RelevanceFilter({
    packages: [CUSD_PKG, PAY_PKG],
    tokens: new TokenRegistry([
      {symbol: 'CUSD', coinType: CUSD, decimals: 6},
      {symbol: 'USDC', coinType: USDC, decimals: 6},
      {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
    ]),
    accounts,
  })

  const cases: [string, Partial<TransactionRecord>, string[]][] = [
    ['an unrelated transaction', {}, []],
    ['a call to a monitored package', {moveCalls: [{package: PAY_PKG, module: 'pay', function: 'pay'}]}, ['move-call']],
    ['a call to another package that emits a monitored event type', {moveCalls: [{package: addr('77'), module: 'x', function: 'y'}], events: [{type: `${PAY_PKG}::pay::PaymentMade`, sender: bob}]}, ['event']],
    ['a cUSD movement between strangers', {balanceChanges: [{address: bob, coinType: CUSD, amount: -5n}, {address: carol, coinType: CUSD, amount: 5n}]}, ['contract-coin']],
    ['an account as sender', {sender: alice, gasOwner: alice, balanceChanges: [{address: alice, coinType: SUI_COIN_TYPE, amount: -1_000n}]}, ['account-sender', 'account-gas']],
    ['SUI received by an account', {balanceChanges: [{address: bob, coinType: SUI_COIN_TYPE, amount: -1_500n}, {address: alice, coinType: SUI_COIN_TYPE, amount: 500n}]}, ['account-balance']],
    ['USDC received by an account', {balanceChanges: [{address: alice, coinType: USDC, amount: 7n}]}, ['account-balance']],
    ['an unregistered coin received by an account', {balanceChanges: [{address: alice, coinType: OTHER_COIN, amount: 7n}]}, []],
    ['an account sponsoring gas only (its SUI balance moves)', {gasOwner: alice, balanceChanges: [{address: alice, coinType: SUI_COIN_TYPE, amount: -1_000n}]}, ['account-gas']],
    ['an account sponsoring gas and receiving SUI too', {gasOwner: alice, balanceChanges: [{address: alice, coinType: SUI_COIN_TYPE, amount: -400n}]}, ['account-balance']],
    ['an undecodable transaction', {parseError: 'bad bytes', balanceChanges: []}, ['parse-error']],
  ]
  for (const [what, overrides, reasons] of cases) {
    it(`${reasons.length ? 'keeps' : 'skips'} ${what}`, () => assert.deepEqual(filter.reasons(tx(overrides)), reasons))
  }

  it('sees an account added to the set', () => {
    const record = tx({balanceChanges: [{address: sponsor, coinType: SUI_COIN_TYPE, amount: 3n}]})
    assert.deepEqual(filter.reasons(record), [])
    accounts.add(sponsor)
    assert.deepEqual(filter.reasons(record), ['account-balance'])
  })
})
