// Token amounts as every screen shows them, one rule for all: a registered token (by symbol or by
// coin type) in its display units; a coin type not registered in the decimals the chain gives it
// (GetCoinInfo, asked once per coin type: a command has one formatter, so once per process);
// anything else, a symbol no longer registered or a coin type whose decimals the chain cannot say,
// as its base units labelled so ("12500000 (base units)"), never as whole tokens.
import {ChainError, type CoinInfoRecord} from '../chain/index.ts'
import {normalizeCoinType} from '../sui/identifiers.ts'
import {formatAmount} from './amounts.ts'
import type {TokenRegistry} from './token-registry.ts'

/** The chain's answer for a coin type's metadata (ChainReader.coinInfo). */
export type CoinInfoSource = (coinType: string) => Promise<CoinInfoRecord>

export class AmountFormatter {
  readonly #tokens: TokenRegistry
  readonly #coinInfo: CoinInfoSource | undefined
  /** Decimals the chain gave, by normalized coin type; null when it has none (NOT_FOUND, or no metadata). */
  readonly #learned = new Map<string, number | null>()

  /** Without `coinInfo` an unregistered coin type is shown in base units. */
  constructor(tokens: TokenRegistry, coinInfo?: CoinInfoSource) {
    this.#tokens = tokens
    this.#coinInfo = coinInfo
  }

  /**
   * Asks the chain for the decimals of the coin types among `tokens` that are neither registered
   * nor asked before. Symbols are never asked about (the chain knows coin types only). A call that
   * fails for another reason than NOT_FOUND is not remembered: those amounts stay in base units
   * this time, and a later learn asks again.
   */
  async learn(tokens: Iterable<string>): Promise<void> {
    const coinInfo = this.#coinInfo
    if (!coinInfo) return
    const asked = new Set<string>()
    for (const token of tokens) {
      const coinType = coinTypeOf(token)
      if (coinType !== undefined && !this.#tokens.byCoinType(coinType) && !this.#learned.has(coinType)) asked.add(coinType)
    }
    await Promise.all([...asked].map((coinType) => this.#ask(coinInfo, coinType)))
  }

  async #ask(coinInfo: CoinInfoSource, coinType: string): Promise<void> {
    try {
      this.#learned.set(coinType, (await coinInfo(coinType)).decimals ?? null)
    } catch (error) {
      if (error instanceof ChainError && error.status === 'NOT_FOUND') this.#learned.set(coinType, null)
    }
  }

  /** `value` of `token` (a symbol, or a coin type: it has `::`) as people read it: "12.5" or "12500000 (base units)". */
  format(value: bigint, token: string): string {
    const decimals = this.decimalsOf(token)
    return decimals === undefined ? `${value} (base units)` : formatAmount(value, decimals)
  }

  /** The token's decimals when the registry or the chain (learn) says; undefined otherwise. */
  decimalsOf(token: string): number | undefined {
    const coinType = coinTypeOf(token)
    if (coinType === undefined) return this.#tokens.bySymbol(token)?.decimals
    return this.#tokens.byCoinType(coinType)?.decimals ?? this.#learned.get(coinType) ?? undefined
  }
}

/** The normalized coin type `token` names, or undefined for a symbol (or a malformed type). */
function coinTypeOf(token: string): string | undefined {
  if (!token.includes('::')) return undefined
  try {
    return normalizeCoinType(token)
  } catch {
    return undefined
  }
}
