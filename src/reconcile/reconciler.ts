// The hourly question: does every cached balance agree with the chain? For each selected account
// one ListBalances (all pages) gives every token (coin part plus address balance) and the height
// the node named, H, with the window that height proves (src/chain/reader/height-window.ts): the value is
// as of some checkpoint in from..to, and a change inside the window may or may not be in it. A
// cached row is compared only when nothing it could be missing, and nothing the chain's value could
// be missing, is left:
//   - the poller's cursor is at or past H, and no stored transaction of the account up to the
//     window's end is still unprocessed;
//   - the row's base is at or before H, and the last transaction it counted is before the window's
//     end (one after it: the row is ahead of the chain's value).
// Otherwise the account is "in flight", not in drift: it is read again at the end of the run (after
// waiting a little for the pipeline), and reported in flight if it still is.
//
// Equal amounts agree, whichever of the two is newer. A difference is drift only when the window
// cannot explain it: no counted change of the balance inside the window (one there may be in the
// chain's value or not), and the pipeline has seen the window's last checkpoint or the node has no
// such checkpoint (a state one ahead of its header would hold a change the pipeline cannot have
// counted yet). So a right balance is never "corrected" to a wrong one.
//
// Drift is corrected through the same versioned write the chain reads use (PostgreSQL, outbox,
// Redis), which itself refuses what the row cannot take exactly, and kept in balance_drift, one open
// record per (account, token) that a later agreeing run closes. A stale or base-less row is simply
// given the chain's value when it can take it. Every account checked gets last_blockchain_check,
// so --older-than skips it next time. Every chain request of the run takes a token of its own
// --rps limit, and the report counts them.
import {ChainError} from '../chain/index.ts'
import type {CallOptions, ChainReader, HeightWindow} from '../chain/index.ts'
import {messageOf, UsageError} from '../errors.ts'
import {POLLER_CURSOR} from '../ingest/poller-cursor.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import {checkCursorChain, readCursor} from '../store/ingest-cursor.ts'
import {ConcurrencyLimiter} from '../support/concurrency-limiter.ts'
import {CountingLimiter} from '../support/counting-limiter.ts'
import {TokenBucket} from '../support/token-bucket.ts'
import type {Token, TokenRegistry} from '../tokens/token-registry.ts'
import {AccountRepository} from '../accounts/account-repository.ts'
import {type BalanceKey, balanceKeyId} from '../balances/balance-keys.ts'
import {type ChainValue, PostgresBalanceStore} from '../balances/postgres-balance-store.ts'
import type {RedisBalanceStore} from '../balances/redis-balance-store.ts'
import type {CachedBalance} from '../balances/cached-balance.ts'
import {type OpenDriftRecord, readOpenDrift} from './drift-records.ts'
import {type DriftFinding, ERROR_SHARE_LIMIT, type ReconcileError, type ReconcileOptions, type ReconcileOutcome, type ReconcileReport} from './reconcile-report.ts'

export interface ReconcilerDeps {
  readonly db: Database
  readonly redis: RedisBalanceStore
  readonly chain: ChainReader
  readonly tokens: TokenRegistry
  readonly logger: Logger
  /** The poller's cursor name (default POLLER_CURSOR). */
  readonly cursorName?: string
  /** How long the end-of-run second look waits for the pipeline to reach the heights read (default 5 s). */
  readonly settleMs?: number
}

interface SelectedAccount {
  readonly id: string
  readonly address: string
  readonly email: string | null
}

/** One account's chain reading: every selected token's amount, the height the node named and its window. */
interface Reading {
  readonly account: SelectedAccount
  readonly amounts: Map<string, bigint>
  readonly checkpoint: bigint
  readonly window: HeightWindow
}

/** Per token: agrees; nothing was claimed (stale or no base) and the chain's value is to be written; drift; or not comparable yet. */
type Verdict = {kind: 'agree'} | {kind: 'refresh'; chain: bigint} | {kind: 'drift'; finding: DriftFinding} | {kind: 'in-flight'}

/** What the pipeline has done: the poller's cursor, and per address its earliest stored transaction still to be processed. */
interface PipelineState {
  readonly cursor: bigint | undefined
  readonly unprocessed: Map<string, bigint>
}

/** Readings judged together: one query each for the pipeline's state, the rows and the records. */
const JUDGE_BATCH = 250

type RowsByToken = Map<string, {balance: CachedBalance; seen: bigint | null}>

export class Reconciler {
  private readonly deps: ReconcilerDeps

  constructor(deps: ReconcilerDeps) {
    this.deps = deps
  }

  async run(options: ReconcileOptions): Promise<ReconcileReport> {
    return new ReconcileRun(this.deps, options).run()
  }

  /** The open drift records, largest difference first, without reading the chain. */
  openDrift(): Promise<OpenDriftRecord[]> {
    return readOpenDrift(this.deps.db)
  }
}

/** One run: what it read, found and recorded so far. */
class ReconcileRun {
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
  private recorded = 0
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

  async run(): Promise<ReconcileReport> {
    const runId = this.dryRun ? null : await this.openRun()
    try {
      const accounts = await this.selectAccounts()
      // A node of another chain would find every balance in drift and "correct" it. Its answer is
      // also the height known before the first read (height-window.ts), so it comes right before.
      await checkCursorChain(this.deps.db, this.cursorName, await this.deps.chain.serviceInfo(this.call), {record: false})
      const deferred = await this.readAndJudge(accounts)
      const inFlight = deferred.length > 0 ? await this.secondLook(deferred) : []
      const report = this.report(runId, accounts.length, inFlight)
      if (report.outcome === 'errors') {
        this.deps.logger.error({errors: this.errors.length, selected: accounts.length, first: this.errors[0]?.message}, `reconcile: ${this.errors.length} of ${accounts.length} accounts could not be read from the chain (over ${ERROR_SHARE_LIMIT * 100}%)`)
      }
      if (runId !== null) await this.closeRun(runId, report)
      return report
    } catch (error) {
      if (runId !== null) await this.failRun(runId, error).catch(() => undefined)
      throw error
    }
  }

  /**
   * Reads flow through `concurrency` lanes without pause; every JUDGE_BATCH readings are judged
   * together (a few queries for the lot), one batch at a time, while the lanes read on. Returns the
   * readings that were in flight.
   */
  private async readAndJudge(accounts: SelectedAccount[]): Promise<Reading[]> {
    const {options} = this
    let deferred: Reading[] = []
    let done = 0
    let buffer: Reading[] = []
    let judging = Promise.resolve()
    const flush = () => {
      const batch = buffer
      buffer = []
      if (batch.length === 0) return
      judging = judging.then(async () => {
        deferred = deferred.concat(await this.judge(batch, false))
      })
    }
    const lanes = new ConcurrencyLimiter(options.concurrency ?? 8)
    await Promise.all(
      accounts.map((account) =>
        lanes.run(async () => {
          const reading = await this.readOrRecord(account)
          // Pushed only once read: `buffer` may have been handed to a judge while this one waited.
          if (reading) buffer.push(reading)
          if (buffer.length >= JUDGE_BATCH) flush()
          done += 1
          options.onProgress?.({done, total: accounts.length, elapsedMs: performance.now() - this.started})
        }),
      ),
    )
    flush()
    await judging
    return deferred
  }

  /**
   * The second look: give the pipeline a moment to reach the heights read, read those accounts
   * again (a change inside a window is settled only by a read whose window has none), and judge
   * them once more. Returns the readings still in flight.
   */
  private async secondLook(deferred: Reading[]): Promise<Reading[]> {
    await this.settle(deferred)
    const again: Reading[] = []
    for (const {account} of deferred) {
      const reading = await this.readOrRecord(account)
      if (reading) again.push(reading)
    }
    const inFlight: Reading[] = []
    for (let i = 0; i < again.length; i += JUDGE_BATCH) inFlight.push(...(await this.judge(again.slice(i, i + JUDGE_BATCH), true)))
    return inFlight
  }

  /** One account's reading, or undefined with the error recorded (a stop is not an account's error). */
  private async readOrRecord(account: SelectedAccount): Promise<Reading | undefined> {
    try {
      return await this.read(account)
    } catch (error) {
      if (this.options.signal?.aborted) throw error
      this.errors.push({accountId: account.id, address: account.address, message: messageOf(error)})
      return undefined
    }
  }

  /** One ListBalances (all pages): every selected token, zero for one the address does not hold. */
  private async read(account: SelectedAccount): Promise<Reading> {
    const listing = await this.deps.chain.balances(account.address, this.call)
    const byType = new Map(listing.balances.map((r) => [r.coinType, r.total]))
    return {account, amounts: new Map(this.tokens.map((t) => [t.symbol, byType.get(t.coinType) ?? 0n])), checkpoint: listing.checkpoint, window: listing.window}
  }

  /** Judges a batch: records drift, agreement and checks; returns the readings in flight. */
  private async judge(readings: Reading[], secondLook: boolean): Promise<Reading[]> {
    const pipeline = await this.pipelineState(readings)
    const rows = await this.rowsOf(readings)
    const later: Reading[] = []
    const agreeing: BalanceKey[] = []
    const judged: Reading[] = []
    /** The chain values to write: a correction (with its finding) or a base for a row that had none. */
    const writes: {key: BalanceKey; value: ChainValue; finding?: DriftFinding}[] = []
    for (const reading of readings) {
      const verdicts = await this.judgeAccount(reading, pipeline, rows.get(reading.account.id) ?? new Map())
      if (verdicts.some((v) => v.kind === 'in-flight')) {
        later.push(reading)
        continue
      }
      this.checked += 1
      judged.push(reading)
      for (const [i, v] of verdicts.entries()) {
        const key = {accountId: reading.account.id, token: this.tokens[i]!.symbol}
        const value = (total: bigint) => ({total, checkpoint: reading.checkpoint, window: reading.window})
        if (v.kind === 'agree') agreeing.push(key)
        else if (v.kind === 'drift') {
          if (this.dryRun) this.drift.push(v.finding)
          else writes.push({key, value: value(v.finding.chain), finding: v.finding})
        } else if (v.kind === 'refresh') {
          if (this.dryRun) agreeing.push(key)
          else writes.push({key, value: value(v.chain)})
        }
      }
    }
    const written = await this.writeAll(writes)
    for (const {key, finding} of writes) {
      if (finding) this.drift.push({...finding, corrected: written.has(balanceKeyId(key))})
      // A row that cannot take the value (a change inside the window) keeps its drift record open.
      else if (written.has(balanceKeyId(key))) agreeing.push(key)
    }
    if (!this.dryRun) this.closed += await this.record(this.drift.slice(this.recorded), agreeing, judged)
    this.recorded = this.drift.length
    if (secondLook) this.deps.logger.debug({inFlight: later.length}, 'reconcile: second look done')
    return later
  }

  private async judgeAccount(reading: Reading, pipeline: PipelineState, rows: RowsByToken): Promise<Verdict[]> {
    const {account, checkpoint, window} = reading
    const {cursor} = pipeline
    const pending = pipeline.unprocessed.get(account.address)
    if (cursor === undefined || cursor < checkpoint || (pending !== undefined && pending <= window.to)) return [{kind: 'in-flight'}]
    const verdicts: Verdict[] = []
    for (const token of this.tokens) {
      const chain = reading.amounts.get(token.symbol) as bigint
      const row = rows.get(token.symbol)
      const trusted = row !== undefined && !row.balance.stale && row.balance.checkpoint !== null
      // A trusted row holding the chain's very amount agrees, whichever of the two is newer.
      if (trusted && row.balance.amount === chain) verdicts.push({kind: 'agree'})
      else if (row && ((row.balance.checkpoint !== null && row.balance.checkpoint > checkpoint) || (row.seen !== null && row.seen > window.to))) verdicts.push({kind: 'in-flight'})
      // Nothing was claimed: the row gets the chain's value, a zero too (a base for the first deposit).
      else if (!trusted) verdicts.push({kind: 'refresh', chain})
      else if (row.seen !== null && row.seen >= window.from) verdicts.push({kind: 'in-flight'})
      else if (cursor < window.to && !(await this.nodeHasNoCheckpointAfter(checkpoint))) verdicts.push({kind: 'in-flight'})
      else {
        const cached = row.balance.amount
        verdicts.push({
          kind: 'drift',
          finding: {accountId: account.id, address: account.address, email: account.email, token: token.symbol, cached, chain, difference: chain - cached, checkpoint, corrected: false},
        })
      }
    }
    return verdicts
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
  private async writeAll(writes: readonly {key: BalanceKey; value: ChainValue}[]): Promise<Set<string>> {
    const rows = await this.postgres.writeManyFromChain(writes)
    if (rows.length > 0) await this.deps.redis.publish(rows).catch(() => undefined)
    return new Set(rows.map((row) => balanceKeyId(row)))
  }

  /** Active accounts (those named, or all), least recently checked first, minus those checked within olderThanMs. */
  private async selectAccounts(): Promise<SelectedAccount[]> {
    const {options} = this
    let ids: string[] | undefined
    if (options.accounts && options.accounts.length > 0) {
      const repository = new AccountRepository(this.deps.db)
      ids = []
      for (const ref of options.accounts) {
        const account = await repository.find(ref)
        if (!account) throw new UsageError(`--account ${ref}: no active account has this id, email or address`, {remedy: 'see confio accounts list'})
        ids.push(account.id)
      }
    }
    const cutoff = options.olderThanMs === undefined ? null : new Date(Date.now() - options.olderThanMs)
    const {rows} = await this.deps.db.raw<{rows: {id: string; sui_address: string; email: string | null}[]}>(
      `SELECT a.id::text, a.sui_address, a.email
       FROM accounts a
       LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE b.last_blockchain_check >= ?::timestamptz) AS recent, min(b.last_blockchain_check) AS oldest
         FROM balances b WHERE b.account_id = a.id AND b.token = ANY(?::text[])
       ) c ON true
       WHERE a.deleted_at IS NULL ${ids ? 'AND a.id = ANY(?::bigint[])' : ''}
         AND (?::timestamptz IS NULL OR c.recent < ?)
       ORDER BY c.oldest NULLS FIRST, a.id`,
      [cutoff, this.tokens.map((t) => t.symbol), ...(ids ? [ids] : []), cutoff, this.tokens.length],
    )
    return rows.map((r) => ({id: r.id, address: r.sui_address, email: r.email}))
  }

  /** What the pipeline has done: the poller's cursor, and the unprocessed stored transactions per address. */
  private async pipelineState(readings: Reading[]): Promise<PipelineState> {
    const cursor = await readCursor(this.deps.db, this.cursorName)
    const addresses = readings.map((r) => r.account.address)
    const {rows} = await this.deps.db.raw<{rows: {address: string; checkpoint: string}[]}>(
      `SELECT x.address, min(e.checkpoint)::text AS checkpoint
       FROM raw_blockchain_events e
       CROSS JOIN LATERAL (
         SELECT c->>'address' AS address FROM jsonb_array_elements(e.balance_changes) c
         UNION SELECT e.sender UNION SELECT e.gas_owner
       ) x
       WHERE e.processed_at IS NULL AND x.address = ANY(?::text[])
         -- One that failed for good will never be processed: it marked the balances it names stale
         -- instead (a refresh settles them), and must not keep the account in flight for ever.
         AND NOT EXISTS (SELECT 1 FROM transaction_processing_log l WHERE l.tx_digest = e.tx_digest AND l.status = 'failed')
       GROUP BY x.address`,
      [addresses],
    )
    return {cursor, unprocessed: new Map(rows.map((r) => [r.address, BigInt(r.checkpoint)]))}
  }

  private async rowsOf(readings: Reading[]): Promise<Map<string, RowsByToken>> {
    const out = new Map<string, RowsByToken>()
    for (const row of await this.postgres.readAccounts(readings.map((r) => r.account.id))) {
      let byToken = out.get(row.balance.accountId)
      if (!byToken) out.set(row.balance.accountId, (byToken = new Map()))
      byToken.set(row.balance.token, row)
    }
    return out
  }

  /** Drift records opened or counted, agreeing ones closed, and last_blockchain_check; returns how many closed. */
  private async record(found: DriftFinding[], agreeing: BalanceKey[], checked: Reading[]): Promise<number> {
    const {db} = this.deps
    for (const f of found) {
      await db.raw(
        `INSERT INTO balance_drift (account_id, token, cached_amount, chain_amount, difference, chain_checkpoint)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, token) WHERE closed_at IS NULL DO UPDATE SET
           last_seen = now(), runs = balance_drift.runs + 1, cached_amount = EXCLUDED.cached_amount,
           chain_amount = EXCLUDED.chain_amount, difference = EXCLUDED.difference, chain_checkpoint = EXCLUDED.chain_checkpoint`,
        [f.accountId, f.token, f.cached?.toString() ?? null, f.chain.toString(), f.difference.toString(), f.checkpoint.toString()],
      )
    }
    const {rowCount} = await db.raw(
      `UPDATE balance_drift d SET closed_at = now() FROM unnest(?::bigint[], ?::text[]) AS k(account_id, token)
       WHERE d.account_id = k.account_id AND d.token = k.token AND d.closed_at IS NULL`,
      [agreeing.map((k) => k.accountId), agreeing.map((k) => k.token)],
    )
    await db.raw('UPDATE balances SET last_blockchain_check = now() WHERE account_id = ANY(?::bigint[]) AND token = ANY(?::text[])', [
      checked.map((r) => r.account.id),
      this.tokens.map((t) => t.symbol),
    ])
    return rowCount ?? 0
  }

  /** Waits (bounded) until the poller's cursor passes the windows read and those accounts' transactions are processed. */
  private async settle(readings: Reading[]): Promise<void> {
    const {signal} = this.options
    const deadline = Date.now() + (this.deps.settleMs ?? 5_000)
    const highest = readings.reduce((max, r) => (r.window.to > max ? r.window.to : max), 0n)
    while (Date.now() < deadline && !signal?.aborted) {
      const {cursor, unprocessed} = await this.pipelineState(readings)
      if (cursor !== undefined && cursor >= highest && readings.every((r) => (unprocessed.get(r.account.address) ?? highest + 1n) > r.window.to)) return
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
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

  private async openRun(): Promise<string> {
    const {rows} = await this.deps.db.raw<{rows: {id: string}[]}>('INSERT INTO reconcile_runs (trigger) VALUES (?) RETURNING id::text', [this.options.trigger])
    return rows[0]!.id
  }

  private async closeRun(id: string, report: ReconcileReport): Promise<void> {
    await this.deps.db.raw(
      'UPDATE reconcile_runs SET finished_at = now(), selected = ?, checked = ?, in_flight = ?, in_drift = ?, errors = ?, outcome = ? WHERE id = ?',
      [report.selected, report.checked, report.inFlight.length, new Set(report.drift.map((d) => d.accountId)).size, report.errors.length, report.outcome, id],
    )
  }

  /** A run that stopped on an error: what it had counted, and why. */
  private async failRun(id: string, error: unknown): Promise<void> {
    const message = this.options.signal?.aborted ? 'stopped before it finished' : messageOf(error)
    await this.deps.db.raw(
      `UPDATE reconcile_runs SET finished_at = now(), checked = ?, in_drift = ?, errors = ?, outcome = 'failed', error = ? WHERE id = ?`,
      [this.checked, new Set(this.drift.map((d) => d.accountId)).size, this.errors.length, message.slice(0, 1_000), id],
    )
  }
}

function outcomeOf(selected: number, checked: number, inFlight: number, errors: number, drift: number): ReconcileOutcome {
  if (errors > selected * ERROR_SHARE_LIMIT) return 'errors'
  if (drift > 0) return 'drift'
  // Nothing compared is not "agreed": every account read had work in flight.
  if (checked === 0 && inFlight > 0) return 'in-flight'
  return 'agreed'
}
