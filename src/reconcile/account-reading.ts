// One account as the chain gave it: a single ListBalances (all pages) holds every token, coin part
// plus address balance, and names the height it answered at; that height proves a window
// (src/chain/reader/height-window.ts) in which the values were taken.
import type {CallOptions, ChainReader, HeightWindow} from '../chain/index.ts'
import type {Token} from '../tokens/token-registry.ts'
import type {SelectedAccount} from './due-accounts.ts'

/** One account's chain reading: every selected token's amount, the height the node named and its window. */
export interface Reading {
  readonly account: SelectedAccount
  /** By token symbol; zero for a token the address does not hold. */
  readonly amounts: Map<string, bigint>
  readonly checkpoint: bigint
  readonly window: HeightWindow
}

export async function readAccount(chain: ChainReader, account: SelectedAccount, tokens: readonly Token[], call: CallOptions): Promise<Reading> {
  const listing = await chain.balances(account.address, call)
  const byType = new Map(listing.balances.map((r) => [r.coinType, r.total]))
  return {account, amounts: new Map(tokens.map((t) => [t.symbol, byType.get(t.coinType) ?? 0n])), checkpoint: listing.checkpoint, window: listing.window}
}
