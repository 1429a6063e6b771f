// Whether an address's coins of one token need consolidating, and how: which coins go into which
// transaction, smallest first, each within the protocol's limits, and what is left afterwards.
//
// Two targets. `address-balance` folds coins into the address balance (0x2::coin::send_funds to
// the owner), after which there are no coin objects to manage: payments draw on the address
// balance through the SDK's balance intents. `coin` merges them into the largest coin, for
// networks without address balances or wallets that want one coin.
//
// SUI pays its own gas, so SUI coins ride in the gas payment, where the chain merges them into
// the first ("gas smashing", up to 256), and the rest are merged into the gas coin; the gas coin
// is the largest coin, and is never also an input. For another token the gas comes from the
// owner's SUI, chosen when each transaction is built.
import type {CoinRecord} from '../chain/index.ts'
import {UsageError} from '../errors.ts'
import {formatTokenAmount} from '../tokens/amounts.ts'
import type {Token} from '../tokens/token-registry.ts'
import {normalizeCoinType, SUI_COIN_TYPE} from '../sui/identifiers.ts'
import {TooManyCoinsError} from './coin-errors.ts'
import {type CoinHolding, sumOf} from './coin-holding.ts'
import {selectCoins} from './coin-selection.ts'
import {coinCapacity, type ProtocolLimits} from './protocol-limits.ts'

export type ConsolidationTarget = 'address-balance' | 'coin'
export const CONSOLIDATION_TARGETS: readonly ConsolidationTarget[] = ['address-balance', 'coin']

/**
 * Above this many coins a wallet's listing takes more than one page of the SDK's coin reads (50,
 * the node's default page), and coinWithBalance merges every coin it loads into each payment.
 */
export const DEFAULT_MAX_COINS = 50
/**
 * A payment that merges more coins than this pays for each of them (an input object of gas and
 * 75 bytes); past it the wallet's value sits in dust rather than in a few coins.
 */
export const MAX_PAYMENT_INPUTS = 10

export interface ConsolidationOptions {
  /** Default: the address balance where the network has address balances, else the largest coin. */
  into?: ConsolidationTarget
  /** Due above this many coins; default DEFAULT_MAX_COINS. */
  maxCoins?: number
  /** The largest coins left as they are; default 0. */
  keep?: number
  /** The payment the due check prices; default half of what the address holds. */
  payment?: bigint
}

export interface ConsolidationDue {
  due: boolean
  /** One line: what was found, against which threshold. */
  reason: string
  coins: number
  maxCoins: number
  payment: bigint
  /** Coin inputs that payment takes (after the address balance), or null past one transaction's limit. */
  paymentInputs: number | null
}

export interface PlannedTransaction {
  /** Coins this transaction merges or folds, smallest first. */
  coins: CoinRecord[]
  /** What they hold. */
  amount: bigint
  /** SUI: how many of `coins` (the first ones) ride in the gas payment instead of as inputs. */
  gasPaymentCoins: number
}

export interface HoldingSummary {
  coins: number
  coinBalance: bigint
  addressBalance: bigint
}

export interface ConsolidationPlan {
  owner: string
  token: Token
  into: ConsolidationTarget
  due: ConsolidationDue
  limits: ProtocolLimits
  before: HoldingSummary
  /** The coin the others merge into (`coin`), or the gas coin that stays (SUI to the address balance). */
  target: CoinRecord | undefined
  /** Coins left out as asked (`keep`), largest first. */
  kept: CoinRecord[]
  /** In order; each is built on what the previous left. Empty when there is nothing to do. */
  transactions: PlannedTransaction[]
  /** What the owner holds once every transaction has run, before gas (SUI: gas comes off the target). */
  expected: HoldingSummary
}

export function consolidationDue(holding: CoinHolding, limits: ProtocolLimits, options: Pick<ConsolidationOptions, 'maxCoins' | 'payment'> = {}): ConsolidationDue {
  const maxCoins = options.maxCoins ?? DEFAULT_MAX_COINS
  const payment = options.payment ?? (holding.total + 1n) / 2n
  const paymentInputs = inputsFor(holding, payment, limits)
  const count = holding.coins.length
  const units = (value: bigint) => formatTokenAmount(value, holding.token)
  const paying = `paying ${units(payment)} takes ${paymentInputs === null ? 'more coins than one transaction can' : `${paymentInputs} coin${paymentInputs === 1 ? '' : 's'}`}`
  const reasons: string[] = []
  if (count > maxCoins) reasons.push(`${count} coins, more than ${maxCoins}`)
  if (paymentInputs === null || paymentInputs > MAX_PAYMENT_INPUTS) reasons.push(`${paying}${paymentInputs === null ? '' : `, more than ${MAX_PAYMENT_INPUTS}`}`)
  const due = reasons.length > 0
  const reason = due ? reasons.join('; ') : `${count} coin${count === 1 ? '' : 's'} (at most ${maxCoins}); ${paying} (at most ${MAX_PAYMENT_INPUTS})`
  return {due, reason, coins: count, maxCoins, payment, paymentInputs}
}

/** Coin inputs a payment takes the way prepareExactAmount makes it: the address balance first. */
function inputsFor(holding: CoinHolding, payment: bigint, limits: ProtocolLimits): number | null {
  if (payment <= 0n || holding.addressBalance >= payment) return 0
  try {
    return selectCoins(holding, payment, paymentCapacity(holding.token, limits)).coins.length
  } catch (error) {
    if (error instanceof TooManyCoinsError) return null
    throw error
  }
}

/** The coins one payment can take: SUI in the gas payment too; one input kept for a withdrawal. */
export function paymentCapacity(token: Token, limits: ProtocolLimits): number {
  const capacity = coinCapacity(limits, {reserved: 1, gasCoins: isSui(token)})
  return capacity.inputs + capacity.gas
}

export function planConsolidation(holding: CoinHolding, limits: ProtocolLimits, options: ConsolidationOptions = {}): ConsolidationPlan {
  const into = options.into ?? (limits.addressBalances ? 'address-balance' : 'coin')
  if (into === 'address-balance' && !limits.addressBalances) {
    throw new UsageError(`this network has no address balances (protocol ${limits.protocolVersion ?? 'unknown'}; they came with 124)`, {remedy: 'consolidate --into coin'})
  }
  const keep = options.keep ?? 0
  if (!Number.isInteger(keep) || keep < 0) throw new UsageError(`keep ${keep} is not a whole number of coins`, {remedy: 'keep 0 or more coins'})
  const split = Math.max(0, holding.coins.length - keep)
  const kept = holding.coins.slice(split).reverse()
  const candidates = holding.coins.slice(0, split)
  const sui = isSui(holding.token)
  // The coin that stays: everything merges into it, or (SUI) it carries the gas.
  const anchored = into === 'coin' || sui
  const target = anchored ? candidates.at(-1) : undefined
  const sources = anchored ? candidates.slice(0, -1) : candidates
  const transactions = batches(sources, limits, {sui, reserved: into === 'coin' && !sui ? 1 : 0})
  const moved = transactions.reduce((sum, t) => sum + t.amount, 0n)
  const before = {coins: holding.coins.length, coinBalance: holding.coinBalance, addressBalance: holding.addressBalance}
  const expected =
    into === 'coin'
      ? {coins: kept.length + (target ? 1 : 0), coinBalance: holding.coinBalance, addressBalance: holding.addressBalance}
      : {coins: holding.coins.length - sources.length, coinBalance: holding.coinBalance - moved, addressBalance: holding.addressBalance + moved}
  const due = consolidationDue(holding, limits, options)
  return {owner: holding.owner, token: holding.token, into, due, limits, before, target, kept, transactions, expected}
}

/** Sources split into transactions, smallest first, each as full as the limits allow. */
function batches(sources: readonly CoinRecord[], limits: ProtocolLimits, options: {sui: boolean; reserved: number}): PlannedTransaction[] {
  const capacity = coinCapacity(limits, {reserved: options.reserved, gasCoins: options.sui})
  // SUI: the target (or gas coin) takes the first gas-payment slot.
  const gasSlots = options.sui ? capacity.gas - 1 : 0
  const perTransaction = capacity.inputs + gasSlots
  if (perTransaction < 1) throw new UsageError('the protocol limits leave no room for a coin in a transaction')
  const out: PlannedTransaction[] = []
  for (let start = 0; start < sources.length; start += perTransaction) {
    const coins = sources.slice(start, start + perTransaction)
    // One coin at least is merged as an input, so that no transaction is left without a command.
    out.push({coins, amount: sumOf(coins), gasPaymentCoins: Math.min(gasSlots, coins.length - 1)})
  }
  return out
}

/** The registry keeps coin types as configured; `0x2::sui::SUI` is SUI too. */
export function isSui(token: Token): boolean {
  return token.coinType === SUI_COIN_TYPE || normalizeCoinType(token.coinType) === SUI_COIN_TYPE
}
