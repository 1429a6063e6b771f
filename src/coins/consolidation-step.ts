// One planned consolidation transaction as an SDK Transaction, fully resolved (every object by its
// current reference, gas price, budget and payment set), so it builds offline: confio's chain
// layer keeps the SDK client to itself.
//
//   SUI:   gas payment [gas coin, first coins] (the chain merges them), MergeCoins(GasCoin, rest);
//          to the address balance: SplitCoins(GasCoin, [amount]) and send_funds of that coin.
//   other: gas payment from the owner's SUI coins; MergeCoins into the target (`coin`), or into
//          the batch's largest coin, which send_funds then folds into the address balance.
import {Transaction} from '@mysten/sui/transactions'
import type {CoinRecord} from '../chain/index.ts'
import type {Token} from '../tokens/token-registry.ts'
import {type ConsolidationTarget, isSui} from './consolidation-plan.ts'
import {mergeInto, refOf, sendFunds, splitOff} from './coin-commands.ts'
import type {ProtocolLimits} from './protocol-limits.ts'
import {sumOf} from './coin-holding.ts'

export interface StepInput {
  /** The step's coins as they are now, smallest first. */
  coins: CoinRecord[]
  /** SUI: how many of the first coins ride in the gas payment. */
  gasPaymentCoins: number
}

export interface StepContext {
  owner: string
  token: Token
  into: ConsolidationTarget
  limits: ProtocolLimits
  gasPrice: bigint
  gasBudget: bigint
  /** `coin`: the coin merged into; SUI: the gas coin. As it is now. */
  target: CoinRecord | undefined
  /** Other tokens: the SUI coins that pay the gas. */
  gasCoins: CoinRecord[]
}

export interface BuiltStep {
  transaction: Transaction
  /** What the step moves into the address balance. */
  folded: bigint
}

export function consolidationStep(step: StepInput, context: StepContext): BuiltStep {
  const tx = new Transaction()
  tx.setSender(context.owner)
  tx.setGasPrice(context.gasPrice)
  tx.setGasBudget(context.gasBudget)
  const folded = isSui(context.token) ? suiStep(tx, step, context) : tokenStep(tx, step, context)
  return {transaction: tx, folded}
}

function suiStep(tx: Transaction, step: StepInput, context: StepContext): bigint {
  const gasCoin = context.target
  if (gasCoin === undefined) throw new Error('a SUI consolidation step needs its gas coin')
  const inGas = step.coins.slice(0, step.gasPaymentCoins)
  tx.setGasPayment([gasCoin, ...inGas].map(refOf))
  mergeInto(tx, tx.gas, step.coins.slice(inGas.length).map((coin) => tx.objectRef(refOf(coin))), context.limits)
  if (context.into === 'coin') return 0n
  // The gas coin must still hold the budget once the rest is split off: top it up from the coins
  // when it holds less on its own.
  const amount = sumOf(step.coins)
  const topUp = context.gasBudget > gasCoin.balance ? context.gasBudget - gasCoin.balance : 0n
  const folded = amount > topUp ? amount - topUp : 0n
  if (folded > 0n) sendFunds(tx, context.token.coinType, splitOff(tx, tx.gas, folded), context.owner)
  return folded
}

function tokenStep(tx: Transaction, step: StepInput, context: StepContext): bigint {
  tx.setGasPayment(context.gasCoins.map(refOf))
  const coins = step.coins.map((coin) => tx.objectRef(refOf(coin)))
  if (context.into === 'coin') {
    if (context.target === undefined) throw new Error('a merge into a coin needs its target')
    mergeInto(tx, tx.objectRef(refOf(context.target)), coins, context.limits)
    return 0n
  }
  const destination = coins.at(-1)
  if (destination === undefined) throw new Error('a consolidation step has coins')
  mergeInto(tx, destination, coins.slice(0, -1), context.limits)
  sendFunds(tx, context.token.coinType, destination, context.owner)
  return sumOf(step.coins)
}
