// One reading's verdict, token by token. The chain's value is as of some checkpoint in the
// reading's window (from..to, src/chain/reader/height-window.ts), and a change inside the window may or
// may not be in it. A cached row is compared only when nothing it could be missing, and nothing
// the chain's value could be missing, is left:
//   - the poller's cursor is at or past H (the height the node named), and no stored transaction
//     of the account up to the window's end is still unprocessed (pipeline-state.ts);
//   - the row's base is at or before H, and the last transaction it counted is before the window's
//     end (one after it: the row is ahead of the chain's value).
// Otherwise the account is "in flight", not in drift.
//
// Equal amounts agree, whichever of the two is newer. A difference is drift only when the window
// cannot explain it: no counted change of the balance inside the window (one there may be in the
// chain's value or not), and the pipeline has seen the window's last checkpoint or the node has no
// such checkpoint (a state one ahead of its header would hold a change the pipeline cannot have
// counted yet). So a right balance is never "corrected" to a wrong one. A stale or base-less row
// claims nothing: it is given the chain's value.
import type {CachedBalance} from '../balances/cached-balance.ts'
import type {Token} from '../tokens/token-registry.ts'
import type {Reading} from './account-reading.ts'
import type {PipelineState} from './pipeline-state.ts'
import type {DriftFinding} from './reconcile-report.ts'

/** Per token: agrees; nothing was claimed (stale or no base) and the chain's value is to be written; drift; or not comparable yet. */
export type Verdict = {kind: 'agree'} | {kind: 'refresh'; chain: bigint} | {kind: 'drift'; finding: DriftFinding} | {kind: 'in-flight'}

/** An account's cached rows by token, each with the highest checkpoint the worker counted for it. */
export type RowsByToken = Map<string, {balance: CachedBalance; seen: bigint | null}>

/** Whether the node has no checkpoint after a height (then its state cannot be one ahead of a header naming it). */
export type TipProof = (height: bigint) => Promise<boolean>

/** One verdict per token, in the tokens' order; a single `in-flight` when the pipeline is behind the reading. */
export async function verdictsOf(reading: Reading, pipeline: PipelineState, rows: RowsByToken, tokens: readonly Token[], nodeHasNoCheckpointAfter: TipProof): Promise<Verdict[]> {
  const {account, checkpoint, window} = reading
  const {cursor} = pipeline
  const pending = pipeline.unprocessed.get(account.address)
  if (cursor === undefined || cursor < checkpoint || (pending !== undefined && pending <= window.to)) return [{kind: 'in-flight'}]
  const verdicts: Verdict[] = []
  for (const token of tokens) {
    const chain = reading.amounts.get(token.symbol) as bigint
    const row = rows.get(token.symbol)
    const trusted = row !== undefined && !row.balance.stale && row.balance.checkpoint !== null
    // A trusted row holding the chain's very amount agrees, whichever of the two is newer.
    if (trusted && row.balance.amount === chain) verdicts.push({kind: 'agree'})
    else if (row && ((row.balance.checkpoint !== null && row.balance.checkpoint > checkpoint) || (row.seen !== null && row.seen > window.to))) verdicts.push({kind: 'in-flight'})
    // Nothing was claimed: the row gets the chain's value, a zero too (a base for the first deposit).
    else if (!trusted) verdicts.push({kind: 'refresh', chain})
    else if (row.seen !== null && row.seen >= window.from) verdicts.push({kind: 'in-flight'})
    else if (cursor < window.to && !(await nodeHasNoCheckpointAfter(checkpoint))) verdicts.push({kind: 'in-flight'})
    else verdicts.push({kind: 'drift', finding: findingOf(reading, token, row.balance.amount, chain)})
  }
  return verdicts
}

function findingOf(reading: Reading, token: Token, cached: bigint, chain: bigint): DriftFinding {
  const {account, checkpoint} = reading
  return {accountId: account.id, address: account.address, email: account.email, token: token.symbol, cached, chain, difference: chain - cached, checkpoint, corrected: false}
}
