// The hourly question: does every cached balance agree with the chain? For each selected account
// one ListBalances gives every token (coin part plus address balance) at the node's height H
// (x-sui-checkpoint-height). A cached row can only be compared at H when the pipeline has done
// everything up to H for that account and nothing after it:
//   - the poller's cursor is at or past H (every relevant transaction up to H is stored),
//   - no stored transaction of the account at or before H is still unprocessed,
//   - the row's base and the last transaction it saw are at or before H.
// Otherwise the account is "in flight", not in drift: it is looked at again at the end of the run
// (after waiting a little for the pipeline), and reported in flight if it still is.
//
// A difference is drift: the row is corrected through the same versioned write the chain reads use
// (PostgreSQL, outbox, Redis: base = H), and kept in balance_drift, one open record per (account,
// token) that a later agreeing run closes. A stale or base-less row is simply given the chain's
// value. Every account checked gets last_blockchain_check, so --older-than skips it next time.
import type {ChainReader} from '../chain/chain-reader.ts'
import type {BalanceRecord} from '../chain/records.ts'
import {ConcurrencyLimiter} from '../chain/concurrency-limiter.ts'
import {TokenBucket} from '../chain/rate-limiter.ts'
import {UsageError} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import {checkCursorChain, readCursor} from '../store/ingest-cursor.ts'
import type {Token, TokenRegistry} from '../tokens/token-registry.ts'
import {AccountRepository} from '../accounts/account-repository.ts'
import {PostgresBalanceStore} from '../balances/postgres-balance-store.ts'
import type {RedisBalanceStore} from '../balances/redis-balance-store.ts'
import type {CachedBalance} from '../balances/cached-balance.ts'
import {type OpenDriftRecord, readOpenDrift} from './drift-records.ts'
import {type DriftFinding, ERROR_SHARE_LIMIT, type ReconcileError, type ReconcileOptions, type ReconcileReport} from './reconcile-report.ts'

export interface ReconcilerDeps {
  readonly db: Database
  readonly redis: RedisBalanceStore
  readonly chain: ChainReader
  readonly tokens: TokenRegistry
  readonly logger: Logger
  /** The poller's cursor name (default 'checkpoints'). */
  readonly cursorName?: string
  /** How long the end-of-run second look waits for the pipeline to reach the heights read (default 5 s). */
  readonly settleMs?: number
}

interface SelectedAccount {
  readonly id: string
  readonly address: string
  readonly email: string | null
}

/** One account's chain reading: every selected token's amount at one height. */
interface Reading {
  readonly account: SelectedAccount
  readonly amounts: Map<string, bigint>
  readonly checkpoint: bigint
}

/** Per token: agrees; nothing was claimed (stale or no base) and the chain's value is to be written; drift; or not comparable yet. */
type Verdict = {kind: 'agree'} | {kind: 'refresh'; chain: bigint} | {kind: 'drift'; finding: DriftFinding} | {kind: 'in-flight'}

/** Readings judged together: one query each for the pipeline's state, the rows and the records. */
const JUDGE_BATCH = 250

type RowsByAccount = Map<string, Map<string, {balance: CachedBalance; seen: bigint | null}>>

export class Reconciler {
  private readonly deps: ReconcilerDeps
  private readonly postgres: PostgresBalanceStore

  constructor(deps: ReconcilerDeps) {
    this.deps = deps
    this.postgres = new PostgresBalanceStore(deps.db)
  }

  async run(options: ReconcileOptions): Promise<ReconcileReport> {
    const started = performance.now()
    const tokens = this.selectedTokens(options.token)
    // A node of another chain would find every balance in drift and "correct" it.
    await checkCursorChain(this.deps.db, this.deps.cursorName ?? 'checkpoints', await this.deps.chain.serviceInfo(options.signal ? {signal: options.signal} : {}), {record: false})
    const accounts = await this.selectAccounts(options, tokens)
    const dryRun = options.dryRun ?? false
    const runId = dryRun ? null : await this.openRun(options.trigger, accounts.length)
    const limiter = options.rps ? new TokenBucket({requestsPerSecond: options.rps, burst: 1}) : undefined
    const drift: DriftFinding[] = []
    const errors: ReconcileError[] = []
    let closed = 0
    let checked = 0
    let recorded = 0
    let deferred: Reading[] = []

    const judge = async (readings: Reading[]): Promise<Reading[]> => {
      const pipeline = await this.pipelineState(readings)
      const rows = await this.rowsOf(readings)
      const later: Reading[] = []
      const agreeing: {accountId: string; token: string}[] = []
      for (const reading of readings) {
        const verdicts = this.judgeAccount(reading, tokens, pipeline, rows.get(reading.account.id) ?? new Map())
        if (verdicts.some((v) => v.kind === 'in-flight')) {
          later.push(reading)
          continue
        }
        checked += 1
        for (const [i, v] of verdicts.entries()) {
          const token = tokens[i]!.symbol
          if (v.kind === 'drift') drift.push(dryRun ? v.finding : {...v.finding, corrected: await this.write({accountId: reading.account.id, token}, v.finding.chain, reading.checkpoint)})
          else agreeing.push({accountId: reading.account.id, token})
          if (v.kind === 'refresh' && !dryRun) await this.write({accountId: reading.account.id, token}, v.chain, reading.checkpoint)
        }
      }
      if (!dryRun) closed += await this.record(drift.slice(recorded), agreeing, readings.filter((r) => !later.includes(r)), tokens)
      recorded = drift.length
      return later
    }

    // Reads flow through `concurrency` lanes without pause; every JUDGE_BATCH readings are judged
    // together (a few queries for the lot), one batch at a time, while the lanes read on.
    let done = 0
    let reads = 0
    let firstRead: number | undefined
    let lastRead = 0
    let buffer: Reading[] = []
    let judging = Promise.resolve()
    const flush = () => {
      const batch = buffer
      buffer = []
      if (batch.length === 0) return
      judging = judging.then(async () => {
        deferred = deferred.concat(await judge(batch))
      })
    }
    const lanes = new ConcurrencyLimiter(options.concurrency ?? 8)
    const readAccount = async (account: SelectedAccount): Promise<void> => {
      try {
        await limiter?.acquire(options.signal)
        const now = performance.now()
        firstRead ??= now
        lastRead = now
        reads += 1
        const reading = await this.read(account, tokens, options.signal)
        // Pushed only once read: `buffer` may have been handed to a judge while this one waited.
        buffer.push(reading)
        if (buffer.length >= JUDGE_BATCH) flush()
      } catch (error) {
        if (options.signal?.aborted) throw error
        errors.push({accountId: account.id, address: account.address, message: (error as Error).message})
      } finally {
        done += 1
        options.onProgress?.({done, total: accounts.length, elapsedMs: performance.now() - started})
      }
    }
    await Promise.all(accounts.map((account) => lanes.run(() => readAccount(account))))
    flush()
    await judging

    // The second look: give the pipeline a moment to reach the heights read, then judge again.
    let inFlight: Reading[] = []
    if (deferred.length > 0) {
      await this.settle(deferred, options.signal)
      inFlight = await judge(deferred)
    }

    const report: ReconcileReport = {
      runId,
      dryRun,
      selected: accounts.length,
      checked,
      inFlight: inFlight.map((r) => ({accountId: r.account.id, address: r.account.address})),
      drift,
      closed,
      errors,
      durationMs: Math.round(performance.now() - started),
      chainReads: {accounts: reads, windowMs: firstRead === undefined ? 0 : Math.round(lastRead - firstRead)},
      outcome: errors.length > accounts.length * ERROR_SHARE_LIMIT ? 'errors' : drift.length > 0 ? 'drift' : 'agreed',
    }
    if (report.outcome === 'errors') {
      this.deps.logger.error({errors: errors.length, selected: accounts.length, first: errors[0]?.message}, `reconcile: ${errors.length} of ${accounts.length} accounts could not be read from the chain (over ${ERROR_SHARE_LIMIT * 100}%)`)
    }
    if (runId !== null) await this.closeRun(runId, report)
    return report
  }

  /** The open drift records, largest difference first, without reading the chain. */
  openDrift(): Promise<OpenDriftRecord[]> {
    return readOpenDrift(this.deps.db)
  }

  private selectedTokens(symbol: string | undefined): Token[] {
    return symbol === undefined ? this.deps.tokens.list() : [this.deps.tokens.require(symbol)]
  }

  /** Active accounts (those named, or all), least recently checked first, minus those checked within olderThanMs. */
  private async selectAccounts(options: ReconcileOptions, tokens: Token[]): Promise<SelectedAccount[]> {
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
      [cutoff, tokens.map((t) => t.symbol), ...(ids ? [ids] : []), cutoff, tokens.length],
    )
    return rows.map((r) => ({id: r.id, address: r.sui_address, email: r.email}))
  }

  /** One ListBalances (all pages): every selected token at one height. */
  private async read(account: SelectedAccount, tokens: Token[], signal: AbortSignal | undefined): Promise<Reading> {
    const records = await this.deps.chain.balances(account.address, signal ? {signal} : {})
    const byType = new Map(records.map((r) => [r.coinType, r]))
    const heights = records.map((r) => r.checkpoint)
    let checkpoint = heights.length > 0 ? heights.reduce((a, b) => (a > b ? a : b)) : undefined
    // Pages at different heights, or an empty listing (no height at all): one GetBalance per token,
    // each reply carrying its height, and the lowest taken so every amount is known at it.
    let amounts = new Map<string, bigint>()
    if (checkpoint !== undefined && heights.every((h) => h === checkpoint)) {
      for (const token of tokens) amounts.set(token.symbol, byType.get(token.coinType)?.total ?? 0n)
    } else {
      const single: BalanceRecord[] = []
      for (const token of tokens) single.push(await this.deps.chain.balance(account.address, token.coinType, signal ? {signal} : {}))
      checkpoint = single.reduce((low, r) => (r.checkpoint < low ? r.checkpoint : low), single[0]!.checkpoint)
      amounts = new Map(tokens.map((t, i) => [t.symbol, single[i]!.total]))
      if (!single.every((r) => r.checkpoint === checkpoint)) throw new Error(`the node moved from checkpoint ${checkpoint} while answering; try again`)
    }
    return {account, amounts, checkpoint: checkpoint as bigint}
  }

  /** What the pipeline has done: the poller's cursor, and the unprocessed stored transactions per address. */
  private async pipelineState(readings: Reading[]): Promise<{cursor: bigint | undefined; unprocessed: Map<string, bigint>}> {
    const cursor = await readCursor(this.deps.db, this.deps.cursorName ?? 'checkpoints')
    const addresses = readings.map((r) => r.account.address)
    const {rows} = await this.deps.db.raw<{rows: {address: string; checkpoint: string}[]}>(
      `SELECT x.address, min(e.checkpoint)::text AS checkpoint
       FROM raw_blockchain_events e
       CROSS JOIN LATERAL (
         SELECT c->>'address' AS address FROM jsonb_array_elements(e.balance_changes) c
         UNION SELECT e.sender UNION SELECT e.gas_owner
       ) x
       WHERE e.processed_at IS NULL AND x.address = ANY(?::text[])
       GROUP BY x.address`,
      [addresses],
    )
    return {cursor, unprocessed: new Map(rows.map((r) => [r.address, BigInt(r.checkpoint)]))}
  }

  private async rowsOf(readings: Reading[]): Promise<RowsByAccount> {
    const out: RowsByAccount = new Map()
    for (const row of await this.postgres.readAccounts(readings.map((r) => r.account.id))) {
      let byToken = out.get(row.balance.accountId)
      if (!byToken) out.set(row.balance.accountId, (byToken = new Map()))
      byToken.set(row.balance.token, row)
    }
    return out
  }

  private judgeAccount(reading: Reading, tokens: Token[], pipeline: {cursor: bigint | undefined; unprocessed: Map<string, bigint>}, rows: Map<string, {balance: CachedBalance; seen: bigint | null}>): Verdict[] {
    const {account, checkpoint} = reading
    const pending = pipeline.unprocessed.get(account.address)
    if (pipeline.cursor === undefined || pipeline.cursor < checkpoint || (pending !== undefined && pending <= checkpoint)) return [{kind: 'in-flight'}]
    return tokens.map((token) => {
      const chain = reading.amounts.get(token.symbol) as bigint
      const row = rows.get(token.symbol)
      if (row && ((row.balance.checkpoint !== null && row.balance.checkpoint > checkpoint) || (row.seen !== null && row.seen > checkpoint))) return {kind: 'in-flight'}
      if (!row || row.balance.stale || row.balance.checkpoint === null) {
        // Nothing was claimed: the row gets the chain's value, a zero too (a base for the first deposit).
        return {kind: 'refresh', chain}
      }
      const cached = row.balance.amount
      if (cached === chain) return {kind: 'agree'}
      return {
        kind: 'drift',
        finding: {accountId: account.id, address: account.address, email: account.email, token: token.symbol, cached, chain, difference: chain - cached, checkpoint, corrected: false},
      }
    })
  }

  /** The versioned write every chain value takes, then Redis (best effort: the outbox has it too). */
  private async write(key: {accountId: string; token: string}, amount: bigint, checkpoint: bigint): Promise<boolean> {
    const {balance, written} = await this.postgres.writeFromChain(key, amount, checkpoint)
    if (written) await this.deps.redis.publish([balance]).catch(() => undefined)
    return written
  }

  /** Drift records opened or counted, agreeing ones closed, and last_blockchain_check; returns how many closed. */
  private async record(found: DriftFinding[], agreeing: {accountId: string; token: string}[], checked: Reading[], tokens: Token[]): Promise<number> {
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
      tokens.map((t) => t.symbol),
    ])
    return rowCount ?? 0
  }

  /** Waits (bounded) until the poller's cursor reaches the highest height read and those accounts' transactions are processed. */
  private async settle(readings: Reading[], signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + (this.deps.settleMs ?? 5_000)
    const highest = readings.reduce((max, r) => (r.checkpoint > max ? r.checkpoint : max), 0n)
    while (Date.now() < deadline && !signal?.aborted) {
      const {cursor, unprocessed} = await this.pipelineState(readings)
      if (cursor !== undefined && cursor >= highest && readings.every((r) => (unprocessed.get(r.account.address) ?? highest + 1n) > r.checkpoint)) return
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  private async openRun(trigger: 'manual' | 'beat', selected: number): Promise<string> {
    const {rows} = await this.deps.db.raw<{rows: {id: string}[]}>('INSERT INTO reconcile_runs (trigger, selected) VALUES (?, ?) RETURNING id::text', [trigger, selected])
    return rows[0]!.id
  }

  private async closeRun(id: string, report: ReconcileReport): Promise<void> {
    await this.deps.db.raw(
      'UPDATE reconcile_runs SET finished_at = now(), checked = ?, in_flight = ?, in_drift = ?, errors = ?, outcome = ? WHERE id = ?',
      [report.checked, report.inFlight.length, new Set(report.drift.map((d) => d.accountId)).size, report.errors.length, report.outcome, id],
    )
  }
}

