// Which coins pay an amount: the smallest single coin that covers it (it leaves the large coins
// whole and retires a small one), else the fewest coins, largest first. The address balance makes
// up what the coins one transaction can take fall short of. Pure: the holding is already sorted,
// so a selection over 10,000 coins is a binary search and a walk over the few coins it takes.
import type {CoinRecord} from '../chain/index.ts'
import {AmountError} from '../tokens/amounts.ts'
import {InsufficientBalanceError, TooManyCoinsError} from './coin-errors.ts'
import type {CoinHolding} from './coin-holding.ts'

export interface CoinSelection {
  amount: bigint
  /** The coins to spend, largest first: the first is the one the others merge into. */
  coins: CoinRecord[]
  /** What `coins` add up to: the amount or more. */
  coinAmount: bigint
  /** Drawn from the address balance because the coins fall short (0 when they cover it). */
  fromAddressBalance: bigint
}

/** `maxCoins`: the most coins one transaction can take (coinCapacity). */
export function selectCoins(holding: CoinHolding, amount: bigint, maxCoins: number): CoinSelection {
  if (amount <= 0n) throw new AmountError(`amount ${amount} is not more than 0`, {remedy: 'pay a positive amount'})
  if (holding.total < amount) throw new InsufficientBalanceError(holding.token, holding.owner, amount, holding.total)
  const {coins} = holding
  const single = smallestCovering(coins, amount)
  if (single !== undefined && maxCoins >= 1) return {amount, coins: [single], coinAmount: single.balance, fromAddressBalance: 0n}
  const taken: CoinRecord[] = []
  let sum = 0n
  for (let i = coins.length - 1; i >= 0 && sum < amount && taken.length < maxCoins; i--) {
    const coin = coins[i] as CoinRecord
    taken.push(coin)
    sum += coin.balance
  }
  if (sum >= amount) return {amount, coins: taken, coinAmount: sum, fromAddressBalance: 0n}
  if (amount - sum <= holding.addressBalance) return {amount, coins: taken, coinAmount: sum, fromAddressBalance: amount - sum}
  throw new TooManyCoinsError(holding.token, holding.owner, amount, sum, maxCoins)
}

/** Binary search in the ascending coins for the first that covers the amount. */
function smallestCovering(coins: readonly CoinRecord[], amount: bigint): CoinRecord | undefined {
  let low = 0
  let high = coins.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((coins[middle] as CoinRecord).balance >= amount) high = middle
    else low = middle + 1
  }
  return coins[low]
}
