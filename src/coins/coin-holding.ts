// What an address holds of one token: every coin object, smallest first, and the part held in
// the address balance (SIP-58). Selection and consolidation plans are worked out from this alone,
// so they are pure functions a test can feed any holding.
import type {CoinRecord} from '../chain/index.ts'
import {toBaseUnits} from '../tokens/amounts.ts'
import type {Token} from '../tokens/token-registry.ts'

export interface CoinHolding {
  owner: string
  token: Token
  /** Every `Coin<T>` object the owner holds, ascending by balance (ties by object id). */
  coins: readonly CoinRecord[]
  /** The sum of `coins`. */
  coinBalance: bigint
  addressBalance: bigint
  /** coinBalance + addressBalance. */
  total: bigint
}

export function holdingOf(owner: string, token: Token, coins: readonly CoinRecord[], addressBalance: bigint): CoinHolding {
  const sorted = [...coins].sort(byBalance)
  const coinBalance = sumOf(sorted)
  return {owner, token, coins: sorted, coinBalance, addressBalance, total: coinBalance + addressBalance}
}

function byBalance(a: CoinRecord, b: CoinRecord): number {
  if (a.balance !== b.balance) return a.balance < b.balance ? -1 : 1
  return a.objectId < b.objectId ? -1 : a.objectId > b.objectId ? 1 : 0
}

/** The holding's coins below `threshold` (base units): how many, and what they add up to. */
export function dustOf(holding: CoinHolding, threshold: bigint): {count: number; amount: bigint} {
  let count = 0
  let amount = 0n
  // Ascending: the dust is a prefix.
  for (const coin of holding.coins) {
    if (coin.balance >= threshold) break
    count += 1
    amount += coin.balance
  }
  return {count, amount}
}

/**
 * A dust threshold in display units (COIN_DUST_THRESHOLD, e.g. "0.01") as base units of a token.
 * One threshold serves tokens of any precision, so digits past the token's decimals are dropped.
 */
export function dustThresholdOf(display: string, decimals: number): bigint {
  const [whole = '', fraction = ''] = display.trim().split('.')
  return toBaseUnits(fraction ? `${whole}.${fraction.slice(0, decimals)}` : whole, decimals)
}

/** What the coins hold together. */
export function sumOf(coins: readonly CoinRecord[]): bigint {
  return coins.reduce((total, coin) => total + coin.balance, 0n)
}
