// CoinManager: what confio knows about an address's coin objects, for the wallet's send path and
// for the coins commands. It reads every coin (ListOwnedObjects, 1,000 a page, to the end) and the
// address balance, and answers from that holding with pure functions: which coins pay an amount,
// whether and how to consolidate, the commands for an exact amount. The protocol limits are read
// once per manager (GetEpoch); a node that does not expose them gets the mainnet values.
import type {Transaction} from '@mysten/sui/transactions'
import {ChainError} from '../chain/index.ts'
import type {CallOptions, ChainReader, EpochRecord} from '../chain/index.ts'
import {UsageError} from '../errors.ts'
import type {Token, TokenRegistry} from '../tokens/token-registry.ts'
import {normalizeAddress} from '../sui/identifiers.ts'
import {type CoinHolding, holdingOf} from './coin-holding.ts'
import {type CoinSelection, selectCoins} from './coin-selection.ts'
import {type ConsolidationOptions, type ConsolidationPlan, paymentCapacity, planConsolidation} from './consolidation-plan.ts'
import {type ExactAmount, prepareExactAmount} from './exact-amount.ts'
import {MAINNET_LIMITS, type ProtocolLimits, protocolLimitsOf} from './protocol-limits.ts'

/** The chain reads a CoinManager makes. */
export type CoinChain = Pick<ChainReader, 'coins' | 'balance' | 'epoch'>

export interface CoinManagerOptions {
  chain: CoinChain
  tokens: TokenRegistry
}

/** A registered token's symbol (`CUSD`), its coin type, or the token itself. */
export type TokenRef = string | Token

export class CoinManager {
  readonly #chain: CoinChain
  readonly #tokens: TokenRegistry
  #epoch: Promise<EpochRecord | undefined> | undefined

  constructor(options: CoinManagerOptions) {
    this.#chain = options.chain
    this.#tokens = options.tokens
  }

  /**
   * Every coin object of the token the owner holds, smallest first, and its address balance. The
   * two reads go out together and may be a checkpoint apart; a transaction built on a coin that has
   * moved since fails its simulation, so nothing wrong is ever sent.
   */
  async coins(owner: string, token: TokenRef, options: CallOptions = {}): Promise<CoinHolding> {
    const resolved = this.token(token)
    const address = normalizeAddress(owner)
    const [coins, balance] = await Promise.all([this.#chain.coins(address, resolved.coinType, options), this.#chain.balance(address, resolved.coinType, options)])
    return holdingOf(address, resolved, coins, balance.addressBalance)
  }

  /**
   * The coins that pay `amount`: the smallest single coin that covers it, else the fewest, largest
   * first, within what one transaction can take; the address balance makes up the rest.
   * InsufficientBalanceError (with the shortfall) or TooManyCoinsError otherwise.
   */
  async select(owner: string, token: TokenRef, amount: bigint, options: CallOptions = {}): Promise<CoinSelection> {
    const [holding, limits] = await Promise.all([this.coins(owner, token, options), this.protocolLimits(options)])
    return selectCoins(holding, amount, paymentCapacity(holding.token, limits))
  }

  async planConsolidation(owner: string, token: TokenRef, options: ConsolidationOptions = {}, call: CallOptions = {}): Promise<ConsolidationPlan> {
    const [holding, limits] = await Promise.all([this.coins(owner, token, call), this.protocolLimits(call)])
    return planConsolidation(holding, limits, options)
  }

  /**
   * Adds to `tx` the commands that make a coin of exactly `amount`; the sender must be `owner`.
   * Build with the returned `buildOptions` (or an SDK client).
   */
  async prepareExactAmount(tx: Transaction, owner: string, token: TokenRef, amount: bigint, options: CallOptions = {}): Promise<ExactAmount> {
    const [holding, limits] = await Promise.all([this.coins(owner, token, options), this.protocolLimits(options)])
    return prepareExactAmount(tx, holding, amount, limits)
  }

  /** The node's protocol limits, or the mainnet values when it does not expose them. */
  async protocolLimits(options: CallOptions = {}): Promise<ProtocolLimits> {
    const epoch = await this.#readEpoch(options)
    return epoch ? protocolLimitsOf(epoch) : MAINNET_LIMITS
  }

  /** The reference gas price: what a transaction built now must pay per gas unit at least. */
  async referenceGasPrice(options: CallOptions = {}): Promise<bigint> {
    const epoch = await this.#readEpoch(options)
    if (!epoch) throw new UsageError('the node does not serve GetEpoch, so the reference gas price is unknown', {remedy: 'point SUI_GRPC_URL at a full node'})
    return epoch.referenceGasPrice
  }

  /** A registered token by symbol or coin type; a usage error naming the registered ones otherwise. */
  token(token: TokenRef): Token {
    if (typeof token !== 'string') return token
    const found = this.#tokens.bySymbol(token) ?? this.#tokens.byCoinType(token)
    return found ?? this.#tokens.require(token)
  }

  // Read once: limits and the gas price do not change within a command's run (an epoch is a day).
  #readEpoch(options: CallOptions): Promise<EpochRecord | undefined> {
    this.#epoch ??= this.#chain.epoch(options).catch((error: unknown) => {
      if (error instanceof ChainError && error.status === 'UNIMPLEMENTED') return undefined
      // Anything else may pass: the next call asks again.
      this.#epoch = undefined
      throw error
    })
    return this.#epoch
  }
}
