// The tokens confio tracks: symbol -> coin type and decimals. Lookups by coin type use the
// normalized (0x + 64 hex) form, so `0x2::sui::SUI` and its long form are the same token.
import {UsageError} from '../errors.ts'
import {normalizeCoinType} from '../sui/identifiers.ts'

export interface Token {
  readonly symbol: string
  readonly coinType: string
  readonly decimals: number
}

export class TokenRegistry {
  private readonly bySymbolMap: ReadonlyMap<string, Token>
  private readonly byCoinTypeMap: ReadonlyMap<string, Token>

  constructor(tokens: readonly Token[]) {
    this.bySymbolMap = new Map(tokens.map((t) => [t.symbol, Object.freeze({...t})]))
    this.byCoinTypeMap = new Map([...this.bySymbolMap.values()].map((t) => [t.coinType, t]))
    Object.freeze(this)
  }

  list(): Token[] {
    return [...this.bySymbolMap.values()]
  }

  bySymbol(symbol: string): Token | undefined {
    return this.bySymbolMap.get(symbol.toUpperCase())
  }

  /** The registered token with this symbol, or a usage error listing the ones there are. */
  require(symbol: string): Token {
    const token = this.bySymbol(symbol)
    if (!token) throw new UsageError(`unknown token ${JSON.stringify(symbol)}`, {remedy: `use one of ${this.list().map((t) => t.symbol).join(', ')}`})
    return token
  }

  /** Accepts short or long address forms; an unparsable type is simply not a token. */
  byCoinType(coinType: string): Token | undefined {
    const exact = this.byCoinTypeMap.get(coinType)
    if (exact) return exact
    try {
      return this.byCoinTypeMap.get(normalizeCoinType(coinType))
    } catch {
      return undefined
    }
  }

  toJSON(): Token[] {
    return this.list()
  }
}
