// The two ways a payment cannot be put together from what an address holds. Both say how far off
// it is in the token's display units, and what to do about it.
import {RuntimeFailure} from '../errors.ts'
import {formatTokenAmount} from '../tokens/amounts.ts'
import type {Token} from '../tokens/token-registry.ts'

/** The address holds less than the amount, coins and address balance together. */
export class InsufficientBalanceError extends RuntimeFailure {
  readonly shortfall: bigint

  constructor(token: Token, owner: string, amount: bigint, available: bigint) {
    const shortfall = amount - available
    const units = (value: bigint) => formatTokenAmount(value, token)
    super(`${owner} holds ${units(available)}, ${units(shortfall)} short of ${units(amount)}`, {
      code: 'INSUFFICIENT_BALANCE',
      remedy: `send at least ${units(shortfall)} to ${owner}, or pay less`,
    })
    this.shortfall = shortfall
  }
}

/**
 * The address holds enough, but in more coins than one transaction may take: the payment can
 * only be made after its coins are consolidated.
 */
export class TooManyCoinsError extends RuntimeFailure {
  constructor(token: Token, owner: string, amount: bigint, reach: bigint, maxCoins: number) {
    const units = (value: bigint) => formatTokenAmount(value, token)
    super(`paying ${units(amount)} from ${owner} takes more than ${maxCoins} coins, the most one transaction can take (its ${maxCoins} largest hold ${units(reach)})`, {
      code: 'TOO_MANY_COINS',
      remedy: `consolidate them first: confio coins consolidate --address ${owner} --token ${token.symbol}`,
    })
  }
}
