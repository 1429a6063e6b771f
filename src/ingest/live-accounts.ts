// The monitored accounts of a running poller: loaded at each start from the cursor, refreshed
// every few seconds while it follows, and kept whole. An account picked up by a refresh counts
// from the next checkpoint screened (the read stage screens with the set as it is then); what
// came before, from its monitored_from on, is filled by a separate read (HistoryFill) between two
// commits, and at start for any fill a crash cut short (account-coverage.ts). A fill is committed
// fenced like every other commit, so a poller that lost its lease writes nothing.
import type {ChainReader} from '../chain/index.ts'
import {messageOf} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Database} from '../store/database.ts'
import type {CommitFence} from '../store/ingest-cursor.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import {type CoverageGap, coverageGaps, markFilled, markLive, startCoverage} from './account-coverage.ts'
import {HistoryFill} from './history-fill.ts'
import {MonitoredAccounts, type ScreenChange} from './monitored-accounts.ts'

export interface LiveAccountsOptions {
  readonly db: Database
  readonly chain: ChainReader
  readonly queue: TransactionQueue
  readonly packages: readonly string[]
  readonly tokens: TokenRegistry
  readonly logger: Logger
  /** Checked in every fill's commit (the poller's lease). */
  readonly fence: CommitFence
  readonly detailsDeadlineMs?: number | undefined
}

export class LiveAccounts {
  /** The set the read stage screens with and the decide stage decides with. */
  readonly set: MonitoredAccounts
  readonly #options: LiveAccountsOptions
  /** Accounts' history still to fill (picked up by a refresh, or left by a crash). */
  #gaps: CoverageGap[] = []
  /** Whether the set is loaded (and the fills a crash cut short done) for the current start: refreshes wait for it. */
  #loaded = false

  constructor(options: LiveAccountsOptions) {
    this.#options = options
    this.set = new MonitoredAccounts(options.db)
  }

  /** At a start from the cursor: the account set, and the fills a crash cut short. */
  async load(start: bigint, signal: AbortSignal): Promise<void> {
    const {db, logger} = this.#options
    this.#loaded = false
    await startCoverage(db, start)
    // The fills a crash cut short are looked up beside the load (both only read now).
    const gaps = coverageGaps(db)
    gaps.catch(() => undefined) // awaited below; this only keeps an early failure from being "unhandled"
    await this.set.load(start)
    logger.info({accounts: this.set.size}, 'monitored accounts loaded')
    this.#gaps = await gaps
    await this.fill(signal)
    this.#loaded = true
  }

  /**
   * Applies the accounts changed since the last look, through `screen` (the read stage's, which
   * says where the reading stands as it takes them); records from where those picked up count, and
   * queues their history for a fill. Never fails: a refresh that could not be made is said, and
   * the next one catches up.
   */
  async refresh(screen: ScreenChange): Promise<void> {
    if (!this.#loaded) return
    const {logger} = this.#options
    const change = await this.set.refresh(screen).catch((error: unknown) => logger.warn({err: messageOf(error)}, 'could not refresh monitored accounts'))
    if (!change) return
    if (change.added || change.removed) logger.info({added: change.added, removed: change.removed, accounts: this.set.size}, 'monitored accounts changed')
    if (change.picked.length > 0) await this.#pickUp(change.picked.map((a) => a.id), change.liveFrom).catch((error: unknown) => logger.warn({err: messageOf(error)}, 'could not record picked-up accounts; a restart finds them'))
  }

  /** Whether some accounts' history is waiting for a fill. */
  get fillDue(): boolean {
    return this.#gaps.length > 0
  }

  /**
   * Stores the history of the accounts' gaps (one read of their combined range) and records them
   * filled, in a commit fenced like every other. A gap the node has pruned is said and left for a
   * backfill from a node that has it.
   */
  async fill(signal: AbortSignal): Promise<void> {
    if (this.#gaps.length === 0) return
    const gaps = this.#gaps
    this.#gaps = []
    const {db, chain, queue, packages, tokens, logger, fence} = this.#options
    const {lowestAvailableCheckpoint} = await chain.serviceInfo({signal})
    const pruned = gaps.filter((gap) => gap.from < lowestAvailableCheckpoint)
    for (const gap of pruned) {
      logger.error({account: gap.accountId, address: gap.address, from: gap.from.toString(), to: gap.to.toString()}, `the history of account ${gap.accountId} misses checkpoints ${gap.from}..${gap.to}: pruned on this node; run confio backfill against a node that has them`)
    }
    const targets = gaps.filter((gap) => gap.from >= lowestAvailableCheckpoint)
    if (targets.length === 0) return
    const fill = new HistoryFill({db, chain, queue, packages, tokens, logger, signal, fence, detailsRetry: {deadlineMs: this.#options.detailsDeadlineMs}})
    const result = await fill.run(targets, 'scan', {onComplete: (trx) => markFilled(trx, targets.map((t) => ({accountId: t.accountId, through: t.to})))})
    logger.info({accounts: targets.length, checkpoints: result.checkpointsTotal.toString(), found: result.found, stored: result.stored}, 'filled the history of accounts added while polling')
  }

  /** Records from when the accounts count, and queues what came before for a fill. */
  async #pickUp(accountIds: string[], liveFrom: bigint): Promise<void> {
    await markLive(this.#options.db, accountIds, liveFrom)
    this.#gaps.push(...(await coverageGaps(this.#options.db, accountIds)))
  }
}
