// What `confio coins inspect` reports per token: how many coins, what they and the address balance
// hold, the smallest and largest, how many are dust, and whether consolidation is due and why.
import type {CallOptions} from '../chain/index.ts'
import {normalizeAddress} from '../sui/identifiers.ts'
import type {Token} from '../tokens/token-registry.ts'
import {dustOf, dustThresholdOf} from './coin-holding.ts'
import type {CoinManager} from './coin-manager.ts'
import {type ConsolidationDue, consolidationDue} from './consolidation-plan.ts'
import type {ProtocolLimits} from './protocol-limits.ts'

export interface InspectionOptions {
  /** Decimal, in each token's display units (COIN_DUST_THRESHOLD). */
  dustThreshold: string
  /** COIN_MAX_COINS. */
  maxCoins: number
}

export interface TokenCoins {
  token: string
  coinType: string
  decimals: number
  coins: number
  /** coinBalance + addressBalance, base units. */
  total: bigint
  coinBalance: bigint
  addressBalance: bigint
  /** null without coins. */
  smallest: bigint | null
  largest: bigint | null
  dust: {threshold: bigint; count: number; amount: bigint}
  consolidation: ConsolidationDue
}

export interface CoinInspection {
  address: string
  limits: ProtocolLimits
  tokens: TokenCoins[]
}

export async function inspectCoins(manager: CoinManager, address: string, tokens: readonly Token[], options: InspectionOptions, call: CallOptions = {}): Promise<CoinInspection> {
  const owner = normalizeAddress(address)
  const limits = await manager.protocolLimits(call)
  const rows = await Promise.all(tokens.map((token) => inspectToken(manager, owner, token, limits, options, call)))
  return {address: owner, limits, tokens: rows}
}

async function inspectToken(manager: CoinManager, owner: string, token: Token, limits: ProtocolLimits, options: InspectionOptions, call: CallOptions): Promise<TokenCoins> {
  const holding = await manager.coins(owner, token, call)
  const threshold = dustThresholdOf(options.dustThreshold, token.decimals)
  return {
    token: token.symbol,
    coinType: token.coinType,
    decimals: token.decimals,
    coins: holding.coins.length,
    total: holding.total,
    coinBalance: holding.coinBalance,
    addressBalance: holding.addressBalance,
    smallest: holding.coins[0]?.balance ?? null,
    largest: holding.coins.at(-1)?.balance ?? null,
    dust: {threshold, ...dustOf(holding, threshold)},
    consolidation: consolidationDue(holding, limits, {maxCoins: options.maxCoins}),
  }
}
