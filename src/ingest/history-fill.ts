// Stores part of some accounts' past: the transactions of a checkpoint range that concern them,
// exactly as the poller would have stored them had the accounts been in its set then (the same
// relevance rule, the same rows by digest, the same jobs). The poller uses it for an account added
// between two of its refreshes; `confio backfill` for history from before an account was added.
//
// Two sources give the same rows:
//   scan  the checkpoints of the range through the poller's range reader, then the kept
//         transactions in full (BatchGetTransactions), as the poller does;
//   list  the node's filtered listing (ListTransactions, affected-address filter), which returns
//         only the accounts' transactions, already in full.
// Rows are stored in commits of a bounded size, each idempotent (a digest is stored once), so an
// interrupted fill is simply run again. Only transactions that name one of the accounts (as
// sender, in a balance change, or paying gas) are stored: what concerns the contracts alone the
// poller stores whoever the accounts are.
import type {ChainReader, CheckpointRecord, TransactionRecord} from '../chain/index.ts'
import type {Logger} from '../logging/logger.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import type {CommitFence} from '../store/ingest-cursor.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import {DetailsFetcher, type DetailsRetry} from './details-fetcher.ts'
import {insertRawEvents, type RawEventInput} from './raw-event-repository.ts'
import {ACCOUNT_REASONS, type AddressLookup, RelevanceFilter, type RelevanceReason} from './relevance-filter.ts'
import {queueStored} from './stored-jobs.ts'

/** One account's part of a fill: checkpoints `from`..`to`, both inclusive. */
export interface FillTarget {
  readonly accountId: string
  readonly address: string
  readonly from: bigint
  readonly to: bigint
}

export type FillSource = 'scan' | 'list'

export interface FillProgress {
  /** Checkpoints of the range known to be done (scanned, or covered by the listing's watermark). */
  readonly checkpointsDone: bigint
  readonly checkpointsTotal: bigint
  /** The accounts' transactions found so far, and how many of them were new to the database. */
  readonly found: number
  readonly stored: number
}

export interface FillResult extends FillProgress {
  readonly queued: number
  /** ListTransactions requests (list source): one per stream the node ended early, plus the first. */
  readonly requests: number
}

export interface HistoryFillOptions {
  readonly db: Database
  readonly chain: ChainReader
  readonly queue: TransactionQueue
  readonly packages: readonly string[]
  readonly tokens: TokenRegistry
  readonly logger?: Logger | undefined
  readonly signal?: AbortSignal | undefined
  /** Checked in every commit (the poller's lease). */
  readonly fence?: CommitFence | undefined
  readonly detailsRetry?: Partial<DetailsRetry> | undefined
}

export interface FillRun {
  readonly onProgress?: (progress: FillProgress) => void
  /** Runs in the fill's last commit, after its rows: what the fill completes (coverage, monitored_from). */
  readonly onComplete?: (trx: Database) => Promise<void>
}

// A commit per this many checkpoints scanned, or this many transactions found, whichever first:
// progress survives an interruption, and no commit holds an unbounded amount.
const CHECKPOINTS_PER_COMMIT = 1_000n
const TRANSACTIONS_PER_COMMIT = 500

export class HistoryFill {
  readonly #options: HistoryFillOptions
  readonly #details: DetailsFetcher

  constructor(options: HistoryFillOptions) {
    this.#options = options
    this.#details = new DetailsFetcher({chain: options.chain, retry: options.detailsRetry, signal: options.signal, logger: options.logger})
  }

  async run(targets: readonly FillTarget[], source: FillSource, run: FillRun = {}): Promise<FillResult> {
    const filter = this.#filterFor(targets)
    const from = targets.reduce((min, t) => (t.from < min ? t.from : min), targets[0]?.from ?? 0n)
    const to = targets.reduce((max, t) => (t.to > max ? t.to : max), targets[0]?.to ?? -1n)
    const tally = new FillTally(to >= from ? to - from + 1n : 0n)
    if (targets.length > 0 && to >= from) {
      if (source === 'scan') await this.#scan(filter, from, to, tally, run)
      else await this.#list(filter, targets, from, to, tally, run)
    }
    await this.#commit([], tally, run.onComplete)
    return tally.result()
  }

  /** The poller's rule, with only these accounts, each within its own range. */
  #filterFor(targets: readonly FillTarget[]): RelevanceFilter {
    const ranges = new Map(targets.map((t) => [t.address, t]))
    const accounts: AddressLookup = {
      has: (address, checkpoint) => {
        const range = ranges.get(address)
        return range !== undefined && checkpoint >= range.from && checkpoint <= range.to
      },
    }
    return new RelevanceFilter({packages: this.#options.packages, tokens: this.#options.tokens, accounts})
  }

  async #scan(filter: RelevanceFilter, from: bigint, to: bigint, tally: FillTally, run: FillRun): Promise<void> {
    let pending: Array<{tx: TransactionRecord; reasons: RelevanceReason[]}> = []
    let pendingFrom = from
    const flush = async (through: bigint): Promise<void> => {
      const full = await this.#details.withDetails(pending, pendingFrom, through)
      await this.#commit(full, tally)
      pending = []
      pendingFrom = through + 1n
      tally.doneThrough(through, from)
      run.onProgress?.(tally.result())
    }
    let last = from - 1n
    for await (const checkpoint of this.#options.chain.checkpoints(from, to, {signal: this.#options.signal})) {
      for (const kept of accountTransactions(filter, checkpoint)) pending.push(kept)
      last = checkpoint.sequenceNumber
      if (last - pendingFrom + 1n >= CHECKPOINTS_PER_COMMIT || pending.length >= TRANSACTIONS_PER_COMMIT) await flush(last)
    }
    this.#options.signal?.throwIfAborted()
    if (last < to) throw new Error(`history fill: the range read ended at checkpoint ${last}, before ${to}`)
    if (pendingFrom <= last) await flush(last)
  }

  async #list(filter: RelevanceFilter, targets: readonly FillTarget[], from: bigint, to: bigint, tally: FillTally, run: FillRun): Promise<void> {
    let pending: RawEventInput[] = []
    const addresses = [...new Set(targets.map((t) => t.address))]
    for await (const frame of this.#options.chain.transactionsAffecting(addresses, from, to, {signal: this.#options.signal})) {
      for (const tx of frame.transactions) {
        const reasons = accountReasons(filter, tx)
        if (reasons) pending.push({tx, reasons})
      }
      tally.requests = frame.requests
      if (pending.length >= TRANSACTIONS_PER_COMMIT) {
        await this.#commit(pending, tally)
        pending = []
      }
      if (frame.coveredThrough !== undefined) tally.doneThrough(frame.coveredThrough, from)
      run.onProgress?.(tally.result())
    }
    this.#options.signal?.throwIfAborted()
    await this.#commit(pending, tally)
    tally.doneThrough(to, from)
  }

  /** Stores `rows` (and runs `complete`) in one fenced transaction, then queues what was new. */
  async #commit(rows: readonly RawEventInput[], tally: FillTally, complete?: (trx: Database) => Promise<void>): Promise<void> {
    if (rows.length === 0 && complete === undefined) return
    const {db, queue, fence, logger} = this.#options
    const inserted = await db.transaction(async (trx) => {
      if (fence) await fence(trx)
      const digests = await insertRawEvents(trx, rows)
      if (complete) await complete(trx)
      return digests
    })
    tally.found += rows.length
    tally.stored += inserted.length
    tally.queued += (await queueStored(queue, inserted, logger)).queued
  }
}

function accountTransactions(filter: RelevanceFilter, checkpoint: CheckpointRecord): Array<{tx: TransactionRecord; reasons: RelevanceReason[]}> {
  const kept: Array<{tx: TransactionRecord; reasons: RelevanceReason[]}> = []
  for (const tx of checkpoint.transactions) {
    const reasons = accountReasons(filter, tx)
    if (reasons) kept.push({tx, reasons})
  }
  return kept
}

/** The transaction's reasons when one of them names a fill's account (else undefined: not the fill's). */
function accountReasons(filter: RelevanceFilter, tx: TransactionRecord): RelevanceReason[] | undefined {
  const reasons = filter.reasons(tx)
  return reasons.some((reason) => ACCOUNT_REASONS.has(reason)) ? reasons : undefined
}

class FillTally {
  found = 0
  stored = 0
  queued = 0
  requests = 0
  #done = 0n
  readonly #total: bigint

  constructor(total: bigint) {
    this.#total = total
  }

  doneThrough(checkpoint: bigint, from: bigint): void {
    const done = checkpoint - from + 1n
    if (done > this.#done) this.#done = done > this.#total ? this.#total : done
  }

  result(): FillResult {
    return {checkpointsDone: this.#done, checkpointsTotal: this.#total, found: this.found, stored: this.stored, queued: this.queued, requests: this.requests}
  }
}
