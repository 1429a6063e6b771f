// What the transaction screen promises, checked one way for every test that reads through it: it
// only ever lets through more than the relevance rule keeps (test/chain/transaction-screen.test.ts,
// test/chain/wire-fuzz.test.ts).
import assert from 'node:assert/strict'

import {ChainMetrics} from '../../src/chain/chain-metrics.ts'
import {decodeCheckpoint, decodeScreenedCheckpoint} from '../../src/chain/wire/checkpoint-decoder.ts'
import {readListCheckpointsResponse} from '../../src/chain/wire/checkpoint-wire.ts'
import type {CheckpointRecord, ScreenedCheckpointRecord} from '../../src/chain/records.ts'
import {reportingWireObserver} from '../../src/chain/wire/wire-observer.ts'
import {AddressSet} from '../../src/ingest/address-set.ts'
import {RelevanceFilter} from '../../src/ingest/relevance-filter.ts'
import {RelevanceScreen} from '../../src/ingest/relevance-screen.ts'
import {SUI_COIN_TYPE, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'

export const USDC = normalizeCoinType('0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC')
const TOKENS = new TokenRegistry([
  {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
  {symbol: 'USDC', coinType: USDC, decimals: 6},
])

/** The relevance rule and its screen over the same accounts and packages. */
export function rule(accounts: readonly string[], packages: readonly string[]) {
  const set = new AddressSet()
  for (const address of accounts) set.add(address)
  const filter = new RelevanceFilter({packages, tokens: TOKENS, accounts: {has: (address) => address.length === 66 && set.has(address)}})
  return {filter, screen: new RelevanceScreen(packages, set)}
}

export function fullRead(bytes: Uint8Array): CheckpointRecord {
  const wire = readListCheckpointsResponse(bytes).checkpoint
  assert.ok(wire)
  return decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors)
}

export function screenedRead(bytes: Uint8Array, screen: RelevanceScreen, observer = reportingWireObserver(new ChainMetrics())): ScreenedCheckpointRecord {
  const wire = readListCheckpointsResponse(bytes, observer, screen).checkpoint
  assert.ok(wire)
  return decodeScreenedCheckpoint(wire)
}

/**
 * Every transaction the rule keeps from the full read, or that the decoder could not decode, is
 * in the screened read, decoded the same. Returns how many the screen let through.
 */
export function assertSuperset(full: CheckpointRecord, screened: ScreenedCheckpointRecord, filter: RelevanceFilter): number {
  assert.equal(screened.transactionCount, full.transactions.length)
  const byIndex = new Map(screened.transactions.map((tx) => [tx.index, tx]))
  for (const tx of full.transactions) {
    const through = byIndex.get(tx.index)
    if (through !== undefined) assert.deepEqual(through, tx, `transaction ${tx.index} decodes the same through the screen`)
    const kept = filter.reasons(tx).length > 0 || tx.parseError !== undefined
    if (kept) assert.ok(through, `transaction ${tx.index} (${tx.digest}: ${[...filter.reasons(tx), tx.parseError].filter(Boolean).join('; ')}) was passed over`)
  }
  return screened.transactions.length
}

