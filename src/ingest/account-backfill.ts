// `confio backfill`: an account's history from before confio monitored it. The checkpoints from N
// up to the account's monitored_from are read for it (HistoryFill: the node's ListTransactions
// where it serves it, else a scan) and stored and queued like the poller's; once all of it is
// stored, monitored_from moves back to N in the same commit. Everything it writes is idempotent
// and below what the poller covers, so it runs twice, or beside a running poller, safely.
import {coverageOf, historyGap} from '../accounts/history-gap.ts'
import type {ChainReader, ServiceInfo} from '../chain/index.ts'
import {UsageError} from '../errors.ts'
import type {Database} from '../store/database.ts'
import {type FillProgress, type FillResult, type FillSource, HistoryFill, type HistoryFillOptions, type FillTarget} from './history-fill.ts'
import {PrunedRangeError} from './pruned-range-error.ts'

export interface BackfillAccount {
  readonly id: string
  readonly address: string
  readonly email: string | null
}

export type BackfillStart = {readonly checkpoint: bigint} | {readonly sinceMs: number}

export interface BackfillRequest {
  readonly accounts: readonly BackfillAccount[]
  readonly start: BackfillStart
  /** auto: ListTransactions where the node serves it, else a scan. */
  readonly source: FillSource | 'auto'
  /** The start checkpoint and the source are known: the reading begins. */
  readonly onStart?: (start: {from: bigint; source: FillSource}) => void
  readonly onProgress?: (progress: FillProgress) => void
}

export interface BackfillReport extends FillResult {
  readonly source: FillSource
  readonly from: bigint
  /** Per account: the range read (empty when its history already starts at or before `from`). */
  readonly accounts: ReadonlyArray<{id: string; address: string; email: string | null; from: bigint; to: bigint | null}>
  readonly durationMs: number
}

export class AccountBackfill {
  readonly #options: HistoryFillOptions

  constructor(options: HistoryFillOptions) {
    this.#options = options
  }

  async run(request: BackfillRequest): Promise<BackfillReport> {
    const started = performance.now()
    const {chain, db, signal} = this.#options
    const info = await chain.serviceInfo({signal})
    const from = 'checkpoint' in request.start ? request.start.checkpoint : await checkpointAt(chain, info, Date.now() - request.start.sinceMs, signal)
    if (from > info.checkpointHeight) throw new UsageError(`checkpoint ${from} is beyond the node's latest, ${info.checkpointHeight}`, {remedy: 'give a checkpoint the chain has reached'})
    if (from < info.lowestAvailableCheckpoint) {
      throw new PrunedRangeError(from, info.lowestAvailableCheckpoint, `point SUI_GRPC_URL at a node or archive that still has them, or backfill from checkpoint ${info.lowestAvailableCheckpoint}`)
    }
    const targets = await this.#targets(db, request.accounts, from, info.checkpointHeight)
    const source = request.source === 'auto' ? ((await chain.supportsTransactionListing({signal})) ? 'list' : 'scan') : request.source
    request.onStart?.({from, source})
    const fill = new HistoryFill(this.#options)
    const result = await fill.run(targets, source, {
      ...(request.onProgress ? {onProgress: request.onProgress} : {}),
      onComplete: (trx) => monitoredFrom(trx, targets, from),
    })
    const ranges = new Map(targets.map((t) => [t.accountId, t]))
    const accounts = request.accounts.map((a) => ({...a, from, to: ranges.get(a.id)?.to ?? null}))
    return {...result, source, from, accounts, durationMs: performance.now() - started}
  }

  /**
   * Each account from `from` to just before its monitored_from (to the tip when no poller has set
   * one), or on to just before live_from where the poller has not filled that part yet (a range
   * the poller's node had pruned): a backfill from a node that has it closes that gap too.
   */
  async #targets(db: Database, accounts: readonly BackfillAccount[], from: bigint, tip: bigint): Promise<FillTarget[]> {
    const rows: {id: string; monitored_from: string | null; live_from: string | null; filled_through: string | null}[] = await db('accounts')
      .select('id', 'monitored_from', 'live_from', 'filled_through')
      .whereIn('id', accounts.map((a) => a.id))
    const ends = new Map(rows.map((r) => [String(r.id), historyEnd(r, tip)]))
    return accounts.flatMap((a) => {
      const to = ends.get(a.id) ?? tip
      return to >= from ? [{accountId: a.id, address: a.address, from, to}] : []
    })
  }
}

function historyEnd(row: {monitored_from: string | null; live_from: string | null; filled_through: string | null}, tip: bigint): bigint {
  if (row.monitored_from === null) return tip
  return historyGap(coverageOf(row))?.to ?? BigInt(row.monitored_from) - 1n
}

/**
 * In the backfill's last commit: the history now starts at `from`, and is stored through each
 * target's end (what the poller still has to fill after that stays marked as it was).
 */
async function monitoredFrom(trx: Database, targets: readonly FillTarget[], from: bigint): Promise<void> {
  if (targets.length === 0) return
  await trx.raw(
    `UPDATE accounts AS a SET
        filled_through = greatest(coalesce(a.filled_through, a.monitored_from - 1), t.through),
        monitored_from = least(coalesce(a.monitored_from, :from::numeric), :from::numeric)
       FROM unnest(:ids::bigint[], :throughs::numeric[]) AS t(id, through)
      WHERE a.id = t.id`,
    {from: from.toString(), ids: targets.map((t) => t.accountId), throughs: targets.map((t) => t.to.toString())},
  )
}

/** The first checkpoint at or after `timestampMs` (binary search over checkpoint timestamps). */
export async function checkpointAt(chain: ChainReader, info: ServiceInfo, timestampMs: number, signal?: AbortSignal): Promise<bigint> {
  let low = info.lowestAvailableCheckpoint
  let high = info.checkpointHeight
  if (timestampMs >= info.timestampMs) return high
  while (low < high) {
    const middle = (low + high) / 2n
    const checkpoint = await chain.checkpoint(middle, {signal})
    if (checkpoint.timestampMs < timestampMs) low = middle + 1n
    else high = middle
  }
  // The node's oldest checkpoint is already later: the checkpoint before it is needed, and pruned.
  if (low === info.lowestAvailableCheckpoint && low > 0n && (await chain.checkpoint(low, {signal})).timestampMs > timestampMs) return low - 1n
  return low
}
