// BalanceService: what the wallet's screens and money-moving flows ask. A balance comes from the
// nearest level that holds it trusted (not stale, anchored to a checkpoint): process memory, then
// Redis, then PostgreSQL, then the chain. The worker keeps PostgreSQL exact from every processed
// transaction, so the chain is asked only for a balance never read, or one marked stale.
//
// - verifyCritical: always the chain, no cache of any kind in between; the value is written back;
//   a chain failure throws and never falls back to a cached value. For sends, escrow, large
//   withdrawals and conversions.
// - A chain value is never older than what the pipeline has seen: a node answering at a height
//   below the last transaction counted for the balance (a load-balanced provider's lagging node)
//   is asked again until it has caught up, within one deadline for the whole call
//   (verifyTimeoutMs, 5 s, for verifyCritical: then BALANCE_UNVERIFIED; chainTimeoutMs, 2 s, for
//   the other reads: then the last value, stale). An older value is never written.
// - A chain read that does not answer within chainTimeoutMs (2 s) returns the last value known,
//   marked isStale; only a balance never known at all fails.
// - Every chain read is preceded by a GetServiceInfo: the height the node had reached before the
//   read bounds the value's window from below (src/chain/reader/height-window.ts).
// - Concurrent misses for one balance in this process share one chain call (single flight).
// - A cached value (memory, Redis, PostgreSQL) is only as fresh as the pipeline behind it: while
//   the pipeline marker is not caught up (pipeline-marker.ts) it is served with isStale and
//   staleReason pipeline_behind, and no chain call is made for it. Redis reads the marker with the
//   balance (one MGET); memory, and PostgreSQL when Redis was not asked or did not answer, use this
//   process's view of it, at most a second old (pipeline-view.ts). A chain value is not affected.
// - Every write goes through PostgreSQL's versioned row and its outbox, then straight to Redis and
//   memory too; a version never moves back at any level.
import type {Account} from '../accounts/account-repository.ts'
import {AccountRepository} from '../accounts/account-repository.ts'
import type {BalanceRecord, ChainReader} from '../chain/index.ts'
import {messageOf, RuntimeFailure, UsageError} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import type {MetricsRegistry} from '../support/metric-families.ts'
import {pause} from '../support/pause.ts'
import type {Token, TokenRegistry} from '../tokens/token-registry.ts'
import {type BalanceKey, balanceKeyId} from './balance-keys.ts'
import {registerBalanceMetrics} from './balance-metrics.ts'
import {type CachedBalance, isTrusted} from './cached-balance.ts'
import {MemoryBalanceCache, type MemoryFill} from './memory-balance-cache.ts'
import {PipelineView} from './pipeline-view.ts'
import {type ChainValue, PostgresBalanceStore} from './postgres-balance-store.ts'
import type {RedisBalanceStore, RedisRead} from './redis-balance-store.ts'

export type BalanceSource = 'memory' | 'redis' | 'postgres' | 'chain'

/**
 * Why a balance is not trusted:
 * - pipeline_behind: a cached value (memory, Redis, PostgreSQL) while the pipeline is behind the
 *   chain or not reporting (pipeline-marker.ts): transactions may be missing from it;
 * - marked_stale: the row is marked stale (a change it could not apply exactly, an operator's
 *   markStale) and was not read from the chain (addPending's answer);
 * - no_base: the row was never read from the chain (addPending's answer);
 * - chain_unavailable: the chain did not answer within the deadline: the last value known;
 * - chain_behind: the node answered below a change confio has already counted, or below the row's
 *   base, until the deadline: its value, not written;
 * - height_window: the chain's value may or may not hold a change counted inside its height window
 *   (src/chain/reader/height-window.ts): not written; a read once the chain has moved on settles it.
 */
export type StaleReason = 'pipeline_behind' | 'marked_stale' | 'no_base' | 'chain_unavailable' | 'chain_behind' | 'height_window'

export interface Balance {
  readonly token: string
  /** Base units on chain: coin objects plus address balance. */
  readonly amount: bigint
  /** Committed to by in-flight sends, not yet seen on chain. */
  readonly pending: bigint
  /** amount - pending: what the wallet may spend. */
  readonly available: bigint
  /** The base checkpoint the amount is anchored to (changes after it included); null if unknown. */
  readonly checkpoint: bigint | null
  /** When the amount was last read from the chain. */
  readonly lastSynced: Date | null
  readonly isStale: boolean
  /** Why it is stale; null exactly when isStale is false. */
  readonly staleReason: StaleReason | null
  readonly source: BalanceSource
}

export interface GetBalanceOptions {
  /** Ask the chain, with no cache in between; throws when the chain does not answer. */
  readonly verifyCritical?: boolean
  /** Ask the chain even on a cache hit; falls back to the last value, stale, when it does not answer. */
  readonly forceRefresh?: boolean
}

/** The levels a read may use; a benchmark turns the upper ones off to measure the lower. */
export interface BalanceLevels {
  readonly memory: boolean
  readonly redis: boolean
}

export interface BalanceServiceOptions {
  readonly db: Database
  readonly redis: RedisBalanceStore
  readonly chain: ChainReader
  readonly tokens: TokenRegistry
  readonly logger: Logger
  /** The deadline of a chain read that may fall back to the last value (default 2,000 ms). */
  readonly chainTimeoutMs?: number
  /** The deadline of a verifyCritical read, retries for a lagging node included (default 5,000 ms). */
  readonly verifyTimeoutMs?: number
  /** Entries kept in process memory (default 100,000). */
  readonly memoryEntries?: number
  /** BALANCE_MEMORY_MAX_AGE: how long a balance may be served from process memory (default 60 s). */
  readonly memoryMaxAgeMs?: number
  /**
   * Where its reads by level and chain fallbacks are exposed (balance-metrics.ts): a confio
   * process's metrics server, or the prom-client Registry of a service that imports confio.
   */
  readonly metrics?: MetricsRegistry
}

/** The chain could not confirm a balance that must not come from a cache. */
export class BalanceVerificationError extends RuntimeFailure {
  constructor(message: string, cause: unknown) {
    super(message, {code: 'BALANCE_UNVERIFIED', remedy: 'do not move funds until the chain answers; check the node with confio test-connection', cause})
  }
}

/** How long to wait before asking a node that answered behind the pipeline again. */
const LAGGING_NODE_RETRY_MS = 200

/** A chain read: the chain's record and what the caller sees; `behind` when it never caught up with the pipeline. */
interface CaughtUpRead {
  readonly record: BalanceRecord
  readonly balance: Balance
  /** The row's last counted checkpoint, above every reply's height until the deadline. */
  readonly behind?: bigint
}

export class BalanceService {
  /** Kept in step with other processes by an InvalidationListener (see onInvalidation). */
  readonly memory: MemoryBalanceCache
  /** What the pipeline marker said last, for the levels that do not read it with the balance. */
  readonly pipeline: PipelineView
  private readonly options: BalanceServiceOptions
  private readonly postgres: PostgresBalanceStore
  private readonly accounts: AccountRepository
  private readonly accountCache = new Map<string, Account>()
  private readonly inFlight = new Map<string, Promise<Balance>>()
  private levels: BalanceLevels = {memory: true, redis: true}
  /** Chain balance reads made by this service (single-flight joins not counted). */
  chainReads = 0
  /** Balances served, by the level that served them (getBalance, getAllBalances). */
  readonly served: Record<BalanceSource, number> = {memory: 0, redis: 0, postgres: 0, chain: 0}
  /** Chain reads that failed or timed out, answered with the last value known, stale. */
  chainFallbacks = 0

  constructor(options: BalanceServiceOptions) {
    this.options = options
    this.memory = new MemoryBalanceCache({maxEntries: options.memoryEntries, maxAgeMs: options.memoryMaxAgeMs})
    // A new generation retires every copy, this process's too.
    options.redis.generation.onChange(() => this.memory.clear())
    this.pipeline = new PipelineView(() => options.redis.pipelineCaughtUp())
    this.postgres = new PostgresBalanceStore(options.db)
    this.accounts = new AccountRepository(options.db)
    if (options.metrics) registerBalanceMetrics(options.metrics, this)
  }

  /** Which upper levels reads may use (all by default). */
  useLevels(levels: BalanceLevels): void {
    this.levels = levels
  }

  /** The active account named by id, email or address; a UsageError when there is none. */
  async account(ref: string): Promise<Account> {
    const cached = this.accountCache.get(ref)
    if (cached) return cached
    const account = await this.accounts.find(ref)
    if (!account) throw new UsageError(`no active account ${JSON.stringify(ref)}`, {remedy: 'name it by id, email or Sui address; see confio accounts list'})
    if (this.accountCache.size >= 100_000) this.accountCache.clear()
    this.accountCache.set(ref, account)
    return account
  }

  token(symbol: string): Token {
    return this.options.tokens.require(symbol)
  }

  async getBalance(accountRef: string, symbol: string, options: GetBalanceOptions = {}): Promise<Balance> {
    const balance = await this.readBalance(accountRef, symbol, options)
    this.served[balance.source] += 1
    return balance
  }

  private async readBalance(accountRef: string, symbol: string, options: GetBalanceOptions): Promise<Balance> {
    const account = await this.account(accountRef)
    const token = this.token(symbol)
    const key = {accountId: account.id, token: token.symbol}
    if (options.verifyCritical) return this.verify(account, token, key)
    if (!options.forceRefresh) {
      const hit = await this.cached(key)
      if (hit) return hit
    }
    return this.refresh(account, token, key)
  }

  /** Every registered token's balance from one ListBalances (all pages), each written back. */
  async getAllBalances(accountRef: string): Promise<Balance[]> {
    const account = await this.account(accountRef)
    const heightBefore = (await this.options.chain.serviceInfo()).checkpointHeight
    const listing = await this.options.chain.balances(account.address, {heightBefore})
    this.chainReads += 1
    const byCoinType = new Map(listing.balances.map((r) => [r.coinType, r]))
    const out: Balance[] = []
    for (const token of this.options.tokens.list()) {
      // A token the address never held is absent from the listing: zero, as of the listing's height.
      const record = byCoinType.get(token.coinType) ?? {total: 0n, checkpoint: listing.checkpoint, window: listing.window}
      const {balance} = await this.store({accountId: account.id, token: token.symbol}, record)
      this.served[balance.source] += 1
      out.push(balance)
    }
    return out
  }

  /**
   * Records an amount an in-flight send committed to, released when the worker processes `digest`.
   * A digest the worker has processed already records nothing: the balance holds its changes.
   */
  async addPending(accountRef: string, symbol: string, amount: bigint, digest: string): Promise<Balance> {
    if (amount <= 0n) throw new UsageError(`a pending amount must be positive (got ${amount})`)
    const account = await this.account(accountRef)
    const key = {accountId: account.id, token: this.token(symbol).symbol}
    const {balance, recorded} = await this.postgres.addPending(key, amount, digest)
    if (!recorded) this.options.logger.info({accountId: key.accountId, token: key.token, digest}, 'pending amount not recorded: the transaction is processed already')
    if (!balance) return this.getBalance(account.id, symbol)
    if (recorded) await this.publish([balance])
    return toBalance(balance, 'postgres', await this.pipeline.current())
  }

  /**
   * Releases the pending amounts recorded for `digest` (the wallet gave up on the send); returns the
   * balances changed, none when nothing was pending for it (released already, or never recorded).
   */
  async releasePending(digest: string): Promise<Balance[]> {
    const rows = await this.postgres.releasePending(digest)
    await this.publish(rows)
    const caughtUp = rows.length > 0 ? await this.pipeline.current() : true
    return rows.map((row) => toBalance(row, 'postgres', caughtUp))
  }

  /** Marks one balance, or all of an account's, stale: the next read asks the chain. */
  async markStale(accountRef: string, symbol?: string): Promise<number> {
    const account = await this.account(accountRef)
    const rows = await this.postgres.markStale(account.id, symbol === undefined ? undefined : this.token(symbol).symbol)
    await this.publish(rows)
    return rows.length
  }

  /** What the invalidation channel says another process changed. */
  onInvalidation = (message: Parameters<MemoryBalanceCache['invalidate']>[0]): void => this.memory.invalidate(message)
  /** The channel is down (disconnected, or Redis not answering): memory is bypassed until onReconnect. */
  onDisconnect = (): void => this.memory.suspend()
  /** The channel is back: memory starts again, empty, since anything held may have missed a change. */
  onReconnect = (): void => this.memory.resume()

  /**
   * The first trusted copy from memory, Redis or PostgreSQL, filling the levels above it; stale
   * (pipeline_behind) while the pipeline is behind. Memory serves only while this process's view
   * of the marker says caught up: otherwise Redis is asked, which says how things stand.
   */
  private async cached(key: BalanceKey): Promise<Balance | undefined> {
    if (this.levels.memory) {
      const held = this.memory.get(key)
      // The view when fresh, without an await: a memory hit stays a few microseconds.
      if (held && isTrusted(held) && (this.pipeline.fresh() ?? (await this.pipeline.current()))) return toBalance(held, 'memory', true)
    }
    // An invalidation arriving while this read is on its way wins over what it brings back.
    const landing = this.memory.startFill(key)
    try {
      let read: RedisRead | undefined
      if (this.levels.redis) {
        // A Redis that does not answer fails the MGET at REDIS_COMMAND_TIMEOUT: PostgreSQL then.
        const sentAtMs = performance.now()
        read = await this.options.redis.read(key).catch((error: unknown) => this.redisDown(error))
        if (read) this.pipeline.note(read.caughtUp, sentAtMs)
        if (read?.balance && isTrusted(read.balance)) {
          if (this.levels.memory) landing.set(read.balance)
          return toBalance(read.balance, 'redis', read.caughtUp)
        }
      }
      const row = await this.postgres.read(key)
      if (row && isTrusted(row)) {
        await this.fill(row, landing)
        // Redis not asked: the view, renewed if old; asked and not answering: the view, if fresh.
        const caughtUp = read?.caughtUp ?? (this.levels.redis ? (this.pipeline.fresh() ?? false) : await this.pipeline.current())
        return toBalance(row, 'postgres', caughtUp)
      }
      return undefined
    } finally {
      landing.end()
    }
  }

  /** A chain read shared by every caller asking for this balance meanwhile; falls back when slow. */
  private refresh(account: Account, token: Token, key: BalanceKey): Promise<Balance> {
    const id = balanceKeyId(key)
    let flight = this.inFlight.get(id)
    if (!flight) {
      flight = this.readChain(account, token, key).finally(() => this.inFlight.delete(id))
      this.inFlight.set(id, flight)
    }
    return flight
  }

  private async readChain(account: Account, token: Token, key: BalanceKey): Promise<Balance> {
    const timeoutMs = this.options.chainTimeoutMs ?? 2_000
    try {
      // Still behind at the deadline: the chain's word, not written, stale (store() says so).
      return (await this.caughtUpRead(account, token, key, timeoutMs)).balance
    } catch (error) {
      const last = await this.postgres.read(key)
      if (!last) throw new RuntimeFailure(`the ${token.symbol} balance of account ${account.id} is not known and the chain did not answer within ${timeoutMs} ms`, {code: 'BALANCE_UNAVAILABLE', remedy: 'check the node with confio test-connection', cause: error})
      this.chainFallbacks += 1
      this.options.logger.warn({accountId: key.accountId, token: key.token, err: messageOf(error)}, 'chain balance read failed; serving the last value as stale')
      return {...toBalance(last, 'postgres'), isStale: true, staleReason: 'chain_unavailable'}
    }
  }

  private async verify(account: Account, token: Token, key: BalanceKey): Promise<Balance> {
    const timeoutMs = this.options.verifyTimeoutMs ?? 5_000
    let read: CaughtUpRead
    try {
      read = await this.caughtUpRead(account, token, key, timeoutMs)
    } catch (error) {
      throw new BalanceVerificationError(`cannot verify the ${token.symbol} balance of account ${account.id} on chain: ${messageOf(error)}`, error)
    }
    const {record, balance, behind} = read
    if (behind !== undefined) {
      const message = `cannot verify the ${token.symbol} balance of account ${account.id} on chain: the node still answered at checkpoint ${record.checkpoint} after ${timeoutMs} ms, behind checkpoint ${behind} where confio has already counted a transaction of this balance`
      throw new BalanceVerificationError(message, undefined)
    }
    // The amount is the chain's, whatever the cache knew; pending is confio's own record.
    return {...balance, amount: record.total, available: record.total - balance.pending, checkpoint: record.checkpoint, isStale: false, staleReason: null, source: 'chain'}
  }

  /**
   * A chain read, written back, from a node that has caught up with the balance's last counted
   * transaction: a reply at a lower height is asked again (a load-balanced provider's other node
   * is seconds behind at most) until `timeoutMs` has passed for the whole call; then the last reply,
   * still `behind`. A chain failure throws.
   */
  private async caughtUpRead(account: Account, token: Token, key: BalanceKey, timeoutMs: number): Promise<CaughtUpRead> {
    const signal = AbortSignal.timeout(timeoutMs)
    const {chain} = this.options
    let heightBefore = (await chain.serviceInfo({signal})).checkpointHeight
    let lastBehind: CaughtUpRead | undefined
    for (;;) {
      this.chainReads += 1
      let record: BalanceRecord
      try {
        record = await chain.balance(account.address, token.coinType, {signal, heightBefore})
      } catch (error) {
        // The deadline fell while asking again: the last reply, still behind, says more than a timeout.
        if (lastBehind && signal.aborted) return this.stayedBehind(key, lastBehind, timeoutMs)
        throw error
      }
      const stored = await this.store(key, record)
      if (stored.behind === undefined) return {record, balance: stored.balance}
      lastBehind = {record, balance: stored.balance, behind: stored.behind}
      this.options.logger.debug({accountId: key.accountId, token: key.token, checkpoint: record.checkpoint, seen: stored.behind}, 'chain balance read behind the pipeline; asking again')
      await pause(LAGGING_NODE_RETRY_MS, signal)
      if (signal.aborted) return this.stayedBehind(key, lastBehind, timeoutMs)
      heightBefore = record.checkpoint
    }
  }

  private stayedBehind(key: BalanceKey, read: CaughtUpRead, timeoutMs: number): CaughtUpRead {
    this.options.logger.warn({accountId: key.accountId, token: key.token, checkpoint: read.record.checkpoint, seen: read.behind, timeoutMs}, 'chain balance reads stayed behind the pipeline; not written')
    return read
  }

  /**
   * Writes a chain value back (when the row can take it exactly) and returns what the caller
   * should see; `behind` when the reply's height is below the row's last counted transaction.
   */
  private async store(key: BalanceKey, record: ChainValue): Promise<{balance: Balance; behind?: bigint}> {
    const {balance, written, confirmed, seen} = await this.postgres.writeFromChain(key, record)
    if (written) await this.publish([balance])
    else await this.fill(balance)
    const behind = seen !== null && record.checkpoint < seen ? {behind: seen} : {}
    if (confirmed) return {balance: toBalance(balance, 'chain'), ...behind}
    if (isTrusted(balance)) return {balance: toBalance(balance, 'postgres', await this.pipeline.current()), ...behind}
    // The row is stale and the value cannot be written exactly (it is behind a transaction the row
    // has counted or its base, or one inside its window): the chain's word, not trusted.
    const older = behind.behind !== undefined || (balance.checkpoint !== null && record.checkpoint < balance.checkpoint)
    const chainWord = {amount: record.total, available: record.total - balance.pending, checkpoint: record.checkpoint, isStale: true, staleReason: older ? 'chain_behind' : 'height_window'} as const
    return {balance: {...toBalance(balance, 'chain'), ...chainWord}, ...behind}
  }

  /**
   * A read's copy for the levels in use (not a change: nothing is announced); Redis keeps it only
   * if it has no newer version.
   */
  private async fill(row: CachedBalance, landing?: MemoryFill): Promise<void> {
    if (!isTrusted(row)) return
    if (this.levels.memory) (landing ?? this.memory).set(row)
    if (this.levels.redis) await this.options.redis.setIfNewer(row).catch((error: unknown) => this.redisDown(error))
  }

  /** A change: Redis (newer versions only, announced) and this process's memory; Redis down is logged, never thrown. */
  private async publish(rows: readonly CachedBalance[]): Promise<void> {
    for (const row of rows) {
      if (isTrusted(row)) this.memory.set(row)
      // Also stops a read of an older version, on its way, from landing after this.
      else this.memory.invalidate(row)
    }
    await this.options.redis.publish(rows).catch((error: unknown) => this.redisDown(error))
  }

  private redisDown(error: unknown): undefined {
    this.options.logger.debug({err: messageOf(error)}, 'Redis unavailable; using PostgreSQL')
    return undefined
  }
}

/** What the caller sees of a row; `pipelineCaughtUp` false makes a cached value stale (pipeline_behind). */
function toBalance(row: CachedBalance, source: BalanceSource, pipelineCaughtUp = true): Balance {
  const staleReason = rowStaleReason(row) ?? (pipelineCaughtUp ? null : 'pipeline_behind')
  return {
    token: row.token,
    amount: row.amount,
    pending: row.pending,
    available: row.amount - row.pending,
    checkpoint: row.checkpoint,
    lastSynced: row.syncedAtMs === null ? null : new Date(row.syncedAtMs),
    isStale: staleReason !== null,
    staleReason,
    source,
  }
}

function rowStaleReason(row: CachedBalance): StaleReason | null {
  if (row.stale) return 'marked_stale'
  return row.checkpoint === null ? 'no_base' : null
}
