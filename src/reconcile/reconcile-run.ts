// One reconcile run, start to end: the due accounts (due-accounts.ts) are read through
// `concurrency` lanes and judged 250 at a time behind the reads (judging-queue.ts, verdict.ts);
// those in flight get a second look at the end, after a short wait for the pipeline, and are
// reported in flight if they still are. A judged batch's chain values, corrections and bases
// alike, go through the versioned write in one statement (PostgreSQL, outbox, then Redis at
// once), which itself refuses what a row cannot take exactly; then its drift records are opened
// or closed and its accounts marked checked. A dry run reads and judges, and writes nothing.
// Every chain request of the run takes a token of its own --rps limit, and the report counts them.
import {type CallOptions, ChainError} from '../chain/index.ts'
import {messageOf} from '../errors.ts'
import {POLLER_CURSOR} from '../ingest/poller-cursor.ts'
import {checkCursorChain} from '../store/ingest-cursor.ts'
import {ConcurrencyLimiter} from '../support/concurrency-limiter.ts'
import {CountingLimiter} from '../support/counting-limiter.ts'
import {inChunks} from '../support/chunks.ts'
import {TokenBucket} from '../support/token-bucket.ts'
import type {Token} from '../tokens/token-registry.ts'
import {type BalanceKey, balanceKeyId} from '../balances/balance-keys.ts'
import {type ChainValue, PostgresBalanceStore} from '../balances/postgres-balance-store.ts'
import {readAccount, type Reading} from './account-reading.ts'
import {closeDrift, recordDrift} from './drift-records.ts'
import {markChecked, type SelectedAccount, selectDueAccounts} from './due-accounts.ts'
import {JudgingQueue} from './judging-queue.ts'
import {readPipelineState, waitForPipeline} from './pipeline-state.ts'
import {type DriftFinding, ERROR_SHARE_LIMIT, outcomeOf, type ReconcileError, type ReconcileOptions, type ReconcileReport} from './reconcile-report.ts'
import {closeRunRecord, failRunRecord, openRunRecord} from './reconcile-runs.ts'
import type {ReconcilerDeps} from './reconciler.ts'
import {type RowsByToken, verdictsOf, type Verdict} from './verdict.ts'

/** Readings judged together: one query each for the pipeline's state, the rows and the records. */
const JUDGE_BATCH = 250

/** A chain value to write: a correction (with its finding), or a base for a row that claimed nothing. */
interface PlannedWrite {
  readonly key: BalanceKey
  readonly value: ChainValue
  readonly finding?: DriftFinding
}

/** What a judged batch leads to. */
interface Consequences {
  /** The readings compared (none of their tokens in flight). */
  readonly compared: Reading[]
  readonly agreeing: BalanceKey[]
  readonly writes: PlannedWrite[]
}

/** One run: what it read, found and recorded so far. */
export class ReconcileRun {
  private readonly deps: ReconcilerDeps
  private readonly options: ReconcileOptions
  private readonly postgres: PostgresBalanceStore
  private readonly tokens: Token[]
  private readonly dryRun: boolean
  private readonly cursorName: string
  /** Every chain request of the run goes through it: the --rps limit, and the count reported. */
  private readonly requests: CountingLimiter
  private readonly call: CallOptions
  private readonly started = performance.now()
  private readonly drift: DriftFinding[] = []
  private readonly errors: ReconcileError[] = []
  /** Accounts of the first pass read so far, or failed to be. */
  private read = 0
  private closed = 0
  private checked = 0
  /** Per height H: whether the node has no checkpoint H + 1 (asked once). */
  private readonly tipProofs = new Map<bigint, Promise<boolean>>()

  constructor(deps: ReconcilerDeps, options: ReconcileOptions) {
    this.deps = deps
    this.options = options
    this.postgres = new PostgresBalanceStore(deps.db)
    this.tokens = options.token === undefined ? deps.tokens.list() : [deps.tokens.require(options.token)]
    this.dryRun = options.dryRun ?? false
    this.cursorName = deps.cursorName ?? POLLER_CURSOR
    this.requests = new CountingLimiter(options.rps ? new TokenBucket({requestsPerSecond: options.rps, burst: 1}) : undefined)
    this.call = {limiter: this.requests, ...(options.signal ? {signal: options.signal} : {})}
  }

  /** The run, recorded in reconcile_runs unless it is a dry run (failed, with its counts, if it throws). */
  async run(): Promise<ReconcileReport> {
    const {db} = this.deps
    const runId = this.dryRun ? null : await openRunRecord(db, this.options.trigger)
    try {
      const report = await this.reconcile(runId)
      if (runId !== null) await closeRunRecord(db, runId, report)
      return report
    } catch (error) {
      const counts = {checked: this.checked, drift: this.drift, errors: this.errors.length}
      if (runId !== null) await failRunRecord(db, runId, counts, error, this.options.signal?.aborted ?? false).catch(() => undefined)
      throw error
    }
  }

  private async reconcile(runId: string | null): Promise<ReconcileReport> {
    const accounts = await selectDueAccounts(this.deps.db, {accounts: this.options.accounts, tokens: this.symbols(), olderThanMs: this.options.olderThanMs})
    // A node of another chain would find every balance in drift and "correct" it. Its answer is
    // also the height known before the first read (src/chain/reader/height-window.ts), so it comes right before.
    await checkCursorChain(this.deps.db, this.cursorName, await this.deps.chain.serviceInfo(this.call), {record: false})
    const deferred = await this.readAndJudge(accounts)
    const inFlight = deferred.length > 0 ? await this.secondLook(deferred) : []
    const report = this.report(runId, accounts.length, inFlight)
    if (report.outcome === 'errors') {
      this.deps.logger.error({errors: this.errors.length, selected: accounts.length, first: this.errors[0]?.message}, `reconcile: ${this.errors.length} of ${accounts.length} accounts could not be read from the chain (over ${ERROR_SHARE_LIMIT * 100}%)`)
    }
    return report
  }

  /** Reads flow through the lanes without pause, judged a batch at a time behind them; returns the readings in flight. */
  private async readAndJudge(accounts: SelectedAccount[]): Promise<Reading[]> {
    const judging = new JudgingQueue((batch) => this.judge(batch, false), JUDGE_BATCH)
    const lanes = new ConcurrencyLimiter(this.options.concurrency ?? 8)
    await Promise.all(
      accounts.map((account) =>
        lanes.run(async () => {
          const reading = await this.readOrRecord(account)
          if (reading) judging.add(reading)
          this.noteRead(accounts.length)
        }),
      ),
    )
    return judging.drain()
  }

  /** One more account of the first pass read (or failed to be): the caller's progress. */
  private noteRead(total: number): void {
    this.read += 1
    this.options.onProgress?.({done: this.read, total, elapsedMs: performance.now() - this.started})
  }

  /**
   * The second look: give the pipeline a moment to reach the heights read, read those accounts
   * again (a change inside a window is settled only by a read whose window has none), and judge
   * them once more. Returns the readings still in flight.
   */
  private async secondLook(deferred: Reading[]): Promise<Reading[]> {
    this.options.onSettle?.(deferred.length)
    await waitForPipeline(this.deps.db, this.cursorName, deferred, this.deps.settleMs ?? 5_000, this.options.signal)
    const again: Reading[] = []
    for (const {account} of deferred) {
      const reading = await this.readOrRecord(account)
      if (reading) again.push(reading)
    }
    const inFlight: Reading[] = []
    for (const batch of inChunks(again, JUDGE_BATCH)) inFlight.push(...(await this.judge(batch, true)))
    return inFlight
  }

  /** One account's reading, or undefined with the error recorded (a stop is not an account's error). */
  private async readOrRecord(account: SelectedAccount): Promise<Reading | undefined> {
    try {
      return await readAccount(this.deps.chain, account, this.tokens, this.call)
    } catch (error) {
      if (this.options.signal?.aborted) throw error
      this.errors.push({accountId: account.id, address: account.address, message: messageOf(error)})
      return undefined
    }
  }

  /** Judges a batch, then writes and records what it found; returns the readings in flight. */
  private async judge(readings: Reading[], secondLook: boolean): Promise<Reading[]> {
    const pipeline = await readPipelineState(this.deps.db, this.cursorName, readings.map((r) => r.account.address))
    const rows = await this.rowsOf(readings)
    const later: Reading[] = []
    const consequences: Consequences = {compared: [], agreeing: [], writes: []}
    for (const reading of readings) {
      const verdicts = await verdictsOf(reading, pipeline, rows.get(reading.account.id) ?? new Map(), this.tokens, (height) => this.nodeHasNoCheckpointAfter(height))
      if (verdicts.some((v) => v.kind === 'in-flight')) later.push(reading)
      else this.consider(reading, verdicts, consequences)
    }
    await this.apply(consequences)
    if (secondLook) this.deps.logger.debug({inFlight: later.length}, 'reconcile: second look done')
    return later
  }

  /** A compared reading's verdicts, one per token: an agreeing balance, or a chain value to write. */
  private consider(reading: Reading, verdicts: Verdict[], into: Consequences): void {
    this.checked += 1
    into.compared.push(reading)
    const valueOf = (total: bigint): ChainValue => ({total, checkpoint: reading.checkpoint, window: reading.window})
    for (const [i, v] of verdicts.entries()) {
      const key = {accountId: reading.account.id, token: this.tokens[i]!.symbol}
      if (v.kind === 'agree') into.agreeing.push(key)
      else if (v.kind === 'drift') into.writes.push({key, value: valueOf(v.finding.chain), finding: v.finding})
      else if (v.kind === 'refresh') into.writes.push({key, value: valueOf(v.chain)})
    }
  }

  /**
   * Writes the batch's chain values (a dry run: none), keeps its findings, and records it: drift
   * records opened or counted, agreeing ones closed, its accounts checked.
   */
  private async apply({compared, agreeing, writes}: Consequences): Promise<void> {
    const written = this.dryRun ? new Set<string>() : await this.writeChainValues(writes)
    const found: DriftFinding[] = []
    for (const {key, finding} of writes) {
      if (finding) found.push({...finding, corrected: written.has(balanceKeyId(key))})
      // A row that cannot take the value (a change inside the window) keeps its drift record open.
      else if (written.has(balanceKeyId(key))) agreeing.push(key)
    }
    this.drift.push(...found)
    if (this.dryRun) return
    const {db} = this.deps
    await recordDrift(db, found, {webhooks: this.deps.webhooks ?? false})
    const closed = await closeDrift(db, agreeing)
    this.closed += closed
    await markChecked(db, compared.map((r) => r.account.id), this.symbols())
  }

  /**
   * Whether the node has no checkpoint after `height`: then its state cannot be one ahead of a
   * header naming `height` (a node stores a checkpoint before it executes it into its indexes).
   */
  private nodeHasNoCheckpointAfter(height: bigint): Promise<boolean> {
    let proof = this.tipProofs.get(height)
    if (!proof) {
      proof = this.deps.chain.checkpoint(height + 1n, this.call).then(
        () => false,
        (error: unknown) => {
          if (error instanceof ChainError && error.status === 'NOT_FOUND') return true
          throw error
        },
      )
      this.tipProofs.set(height, proof)
    }
    return proof
  }

  /**
   * The versioned write every chain value takes (one statement for the batch), then Redis (best
   * effort: the outbox has it too); the keys written.
   */
  private async writeChainValues(writes: readonly PlannedWrite[]): Promise<Set<string>> {
    const rows = await this.postgres.writeManyFromChain(writes)
    if (rows.length > 0) await this.deps.redis.publish(rows).catch(() => undefined)
    return new Set(rows.map((row) => balanceKeyId(row)))
  }

  /** The batch's cached rows, by account and token. */
  private async rowsOf(readings: Reading[]): Promise<Map<string, RowsByToken>> {
    const out = new Map<string, RowsByToken>()
    for (const row of await this.postgres.readAccounts(readings.map((r) => r.account.id))) {
      let byToken = out.get(row.balance.accountId)
      if (!byToken) out.set(row.balance.accountId, (byToken = new Map()))
      byToken.set(row.balance.token, row)
    }
    return out
  }

  private symbols(): string[] {
    return this.tokens.map((t) => t.symbol)
  }

  private report(runId: string | null, selected: number, inFlight: Reading[]): ReconcileReport {
    return {
      runId,
      dryRun: this.dryRun,
      selected,
      checked: this.checked,
      inFlight: inFlight.map((r) => ({accountId: r.account.id, address: r.account.address})),
      drift: this.drift,
      closed: this.closed,
      errors: this.errors,
      durationMs: Math.round(performance.now() - this.started),
      chainReads: this.requests.counted,
      outcome: outcomeOf(selected, this.checked, inFlight.length, this.errors.length, this.drift.length),
    }
  }
}
