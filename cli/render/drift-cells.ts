// The cells every drift table begins with (reconcile's report, its --report of open records, the
// status screen): whose balance, of which token, what confio had and what the chain says.
import type {AmountFormatter} from '../../src/tokens/amount-formatter.ts'

interface DriftLike {
  readonly email?: string | null | undefined
  readonly address: string
  readonly token: string
  readonly cached: bigint | null
  readonly chain: bigint
}

export function driftCells(d: DriftLike, amounts: AmountFormatter): string[] {
  return [d.email ?? d.address, d.token, d.cached === null ? '-' : amounts.format(d.cached, d.token), amounts.format(d.chain, d.token)]
}
