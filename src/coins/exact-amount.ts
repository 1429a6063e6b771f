// The commands that put exactly `amount` of a token into one coin, for the wallet's send path to
// transfer or pass on. Where the address balance covers the amount, the SDK's own balance intent
// (Transaction.coin, i.e. coinWithBalance) draws it from there: no coin object is touched, so
// payments from one address need not wait on each other. Otherwise coins are chosen (selectCoins),
// merged and split; the address balance makes up what the coins one transaction can take lack.
// SUI comes from the gas coin: the chosen coins are the gas payment, which the chain merges
// itself, so no coin is both gas and input.
import type {Transaction, TransactionObjectArgument} from '@mysten/sui/transactions'
import type {CoinRecord} from '../chain/index.ts'
import {AmountError} from '../tokens/amounts.ts'
import type {CoinHolding} from './coin-holding.ts'
import {selectCoins} from './coin-selection.ts'
import {mergeInto, redeem, refOf, splitOff} from './coin-commands.ts'
import {isSui, paymentCapacity} from './consolidation-plan.ts'
import type {ProtocolLimits} from './protocol-limits.ts'

export type ExactAmountSource = 'address-balance' | 'coins' | 'gas-coin'

export interface ExactAmount {
  /** A Coin<T> holding exactly the amount. */
  coin: TransactionObjectArgument
  source: ExactAmountSource
  /** Coin objects spent (SUI: the gas payment first, then merged inputs). */
  coins: CoinRecord[]
  /** Drawn from the address balance. */
  fromAddressBalance: bigint
  /**
   * Options for `tx.build()`. A balance intent is resolved when the transaction is built: with an
   * SDK client (`{client}`), or offline with these (the address balance was read and covers it).
   */
  buildOptions: {assumeSufficientAddressBalances?: true}
}

/**
 * Gas kept aside when SUI is paid from the gas coin and the transaction has no budget yet
 * (0.05 SUI): a plain payment costs a few thousandths of a SUI on mainnet.
 */
export const SUI_GAS_RESERVE = 50_000_000n

export function prepareExactAmount(tx: Transaction, holding: CoinHolding, amount: bigint, limits: ProtocolLimits): ExactAmount {
  if (amount <= 0n) throw new AmountError(`amount ${amount} is not more than 0`, {remedy: 'pay a positive amount'})
  if (limits.addressBalances && holding.addressBalance >= amount) {
    const coin = tx.coin({type: holding.token.coinType, balance: amount, useGasCoin: false})
    return {coin, source: 'address-balance', coins: [], fromAddressBalance: amount, buildOptions: {assumeSufficientAddressBalances: true}}
  }
  return isSui(holding.token) ? fromGasCoin(tx, holding, amount, limits) : fromCoins(tx, holding, amount, limits)
}

function fromCoins(tx: Transaction, holding: CoinHolding, amount: bigint, limits: ProtocolLimits): ExactAmount {
  const selection = selectCoins(holding, amount, paymentCapacity(holding.token, limits))
  const [first, ...rest] = selection.coins
  if (first === undefined) throw new Error('a selection short of the address balance has coins')
  const primary = tx.objectRef(refOf(first))
  mergeInto(tx, primary, rest.map((coin) => tx.objectRef(refOf(coin))), limits)
  if (selection.fromAddressBalance > 0n) mergeInto(tx, primary, [redeem(tx, holding.token.coinType, selection.fromAddressBalance)], limits)
  // Exactly the amount merged (one coin of that size, or coins plus the address balance): that
  // coin is the payment; splitting it would leave an empty coin behind.
  const exact = selection.coinAmount + selection.fromAddressBalance === amount
  const coin = exact ? primary : splitOff(tx, primary, amount)
  return {coin, source: 'coins', coins: selection.coins, fromAddressBalance: selection.fromAddressBalance, buildOptions: {}}
}

/**
 * SUI: split from the gas coin. A gas payment the caller already set is taken as it is; otherwise
 * coins for the amount and the gas (the budget, or SUI_GAS_RESERVE) become the payment, up to the
 * gas-payment limit, and any further ones are merged into the gas coin.
 */
function fromGasCoin(tx: Transaction, holding: CoinHolding, amount: bigint, limits: ProtocolLimits): ExactAmount {
  const gasData = tx.getData().gasData
  if (gasData.payment && gasData.payment.length > 0) return {coin: splitOff(tx, tx.gas, amount), source: 'gas-coin', coins: [], fromAddressBalance: 0n, buildOptions: {}}
  const reserve = gasData.budget ? BigInt(gasData.budget) : SUI_GAS_RESERVE
  const selection = selectCoins(holding, amount + reserve, paymentCapacity(holding.token, limits))
  const payment = selection.coins.slice(0, limits.maxGasPaymentObjects)
  tx.setGasPayment(payment.map(refOf))
  mergeInto(tx, tx.gas, selection.coins.slice(payment.length).map((coin) => tx.objectRef(refOf(coin))), limits)
  if (selection.fromAddressBalance > 0n) mergeInto(tx, tx.gas, [redeem(tx, holding.token.coinType, selection.fromAddressBalance)], limits)
  return {coin: splitOff(tx, tx.gas, amount), source: 'gas-coin', coins: selection.coins, fromAddressBalance: selection.fromAddressBalance, buildOptions: {}}
}
