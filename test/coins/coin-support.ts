// Coins and holdings made up for the coin-management tests, so each test states only the balances
// that matter to it.
import {toBase58} from '@mysten/sui/utils'
import type {CoinRecord} from '../../src/chain/index.ts'
import {type CoinHolding, holdingOf} from '../../src/coins/coin-holding.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import type {Token} from '../../src/tokens/token-registry.ts'

export const OWNER = `0x${'a11ce'.padStart(64, '0')}`
export const CUSD_TYPE = `0x${'c05d'.padStart(64, '0')}::cusd::CUSD`
export const CUSD: Token = {symbol: 'CUSD', coinType: CUSD_TYPE, decimals: 6}
export const SUI: Token = {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9}

/** A coin with a made-up id and a well-formed reference (the SDK builds transactions from it). */
export function coin(balance: bigint, n: number): CoinRecord {
  const digest = new Uint8Array(32)
  new DataView(digest.buffer).setUint32(0, n)
  return {objectId: `0x${n.toString(16).padStart(64, '0')}`, version: 7n, digest: toBase58(digest), balance}
}

/** A holding of the given coin balances (any order) and address balance. */
export function holding(balances: readonly bigint[], addressBalance = 0n, token: Token = CUSD): CoinHolding {
  return holdingOf(OWNER, token, balances.map((b, i) => coin(b, i + 1)), addressBalance)
}

/** `count` coins of `balance` each. */
export function many(count: number, balance: bigint): bigint[] {
  return Array.from({length: count}, () => balance)
}
