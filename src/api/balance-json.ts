// A Balance as the API sends it: bigints as strings, dates as ISO text, the token's decimals beside.
import type {Balance} from '../balances/balance-service.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'

export interface BalanceJson {
  readonly token: string
  readonly amount: string
  readonly pending: string
  readonly available: string
  readonly decimals: number
  readonly checkpoint: string | null
  readonly lastSynced: string | null
  readonly isStale: boolean
  readonly staleReason: string | null
  readonly source: string
}

export function balanceJson(balance: Balance, tokens: TokenRegistry): BalanceJson {
  return {
    token: balance.token,
    amount: balance.amount.toString(),
    pending: balance.pending.toString(),
    available: balance.available.toString(),
    decimals: tokens.require(balance.token).decimals,
    checkpoint: balance.checkpoint === null ? null : balance.checkpoint.toString(),
    lastSynced: balance.lastSynced === null ? null : balance.lastSynced.toISOString(),
    isStale: balance.isStale,
    staleReason: balance.staleReason,
    source: balance.source,
  }
}
