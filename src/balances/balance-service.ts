// BalanceService: what the wallet's screens and money-moving flows ask. A balance comes from the
// nearest level that holds it trusted (not stale, anchored to a checkpoint): process memory, then
// Redis, then PostgreSQL, then the chain. The worker keeps PostgreSQL exact from every processed
// transaction, so the chain is asked only for a balance never read, or one marked stale.
//
// - verifyCritical: always the chain, no cache of any kind in between; the value is written back;
//   a chain failure throws and never falls back to a cached value. For sends, escrow, large
//   withdrawals and conversions.
// - A chain read that does not answer within chainTimeoutMs (2 s) returns the last value known,
//   marked isStale; only a balance never known at all fails.
// - Concurrent misses for one balance in this process share one chain call (single flight).
// - Every write goes through PostgreSQL's versioned row and its outbox, then straight to Redis and
//   memory too; a version never moves back at any level.
import type {Account} from '../accounts/account-repository.ts'
import {AccountRepository} from '../accounts/account-repository.ts'
import type {ChainReader} from '../chain/chain-reader.ts'
import type {BalanceRecord} from '../chain/records.ts'
import {RuntimeFailure, UsageError} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import type {Token, TokenRegistry} from '../tokens/token-registry.ts'
import {type BalanceKey, balanceKeyId} from './balance-keys.ts'
import {type CachedBalance, isTrusted} from './cached-balance.ts'
import {MemoryBalanceCache, type MemoryFill} from './memory-balance-cache.ts'
import {PostgresBalanceStore} from './postgres-balance-store.ts'
import type {RedisBalanceStore} from './redis-balance-store.ts'

export type BalanceSource = 'memory' | 'redis' | 'postgres' | 'chain'

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
  /** Default 2,000 ms. */
  readonly chainTimeoutMs?: number
  /** Entries kept in process memory (default 100,000). */
  readonly memoryEntries?: number
  /** BALANCE_MEMORY_MAX_AGE: how long a balance may be served from process memory (default 60 s). */
  readonly memoryMaxAgeMs?: number
}

/** The chain could not confirm a balance that must not come from a cache. */
export class BalanceVerificationError extends RuntimeFailure {
  constructor(message: string, cause: unknown) {
    super(message, {code: 'BALANCE_UNVERIFIED', remedy: 'do not move funds until the chain answers; check the node with confio test-connection', cause})
  }
}

export class BalanceService {
  /** Kept in step with other processes by an InvalidationListener (see onInvalidation). */
  readonly memory: MemoryBalanceCache
  private readonly options: BalanceServiceOptions
  private readonly postgres: PostgresBalanceStore
  private readonly accounts: AccountRepository
  private readonly accountCache = new Map<string, Account>()
  private readonly inFlight = new Map<string, Promise<Balance>>()
  private levels: BalanceLevels = {memory: true, redis: true}
  /** Chain balance reads made by this service (single-flight joins not counted). */
  chainReads = 0

  constructor(options: BalanceServiceOptions) {
    this.options = options
    this.memory = new MemoryBalanceCache({maxEntries: options.memoryEntries, maxAgeMs: options.memoryMaxAgeMs})
    // A new generation retires every copy, this process's too.
    options.redis.generation.onChange(() => this.memory.clear())
    this.postgres = new PostgresBalanceStore(options.db)
    this.accounts = new AccountRepository(options.db)
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
    const records = await this.options.chain.balances(account.address)
    this.chainReads += 1
    const byCoinType = new Map(records.map((r) => [r.coinType, r]))
    // A token the address never held is absent from the listing; the reply's height says as of when.
    const height = records.reduce<bigint | undefined>((max, r) => (max === undefined || r.checkpoint > max ? r.checkpoint : max), undefined)
    const out: Balance[] = []
    for (const token of this.options.tokens.list()) {
      const key = {accountId: account.id, token: token.symbol}
      const record = byCoinType.get(token.coinType)
      if (record) out.push(await this.store(key, record))
      else if (height !== undefined) out.push(await this.store(key, {total: 0n, checkpoint: height}))
      else out.push(await this.verify(account, token, key))
    }
    return out
  }

  /** Records an amount an in-flight send committed to, released when the worker processes `digest`. */
  async addPending(accountRef: string, symbol: string, amount: bigint, digest: string): Promise<Balance> {
    if (amount <= 0n) throw new UsageError(`a pending amount must be positive (got ${amount})`)
    const account = await this.account(accountRef)
    const key = {accountId: account.id, token: this.token(symbol).symbol}
    const row = await this.postgres.addPending(key, amount, digest)
    await this.publish([row])
    return toBalance(row, 'postgres')
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

  /** The first trusted copy from memory, Redis or PostgreSQL, filling the levels above it. */
  private async cached(key: BalanceKey): Promise<Balance | undefined> {
    if (this.levels.memory) {
      const held = this.memory.get(key)
      if (held && isTrusted(held)) return toBalance(held, 'memory')
    }
    // An invalidation arriving while this read is on its way wins over what it brings back.
    const landing = this.memory.startFill(key)
    try {
      if (this.levels.redis) {
        // A Redis that does not answer fails the GET at REDIS_COMMAND_TIMEOUT: PostgreSQL then.
        const inRedis = await this.options.redis.get(key).catch((error: unknown) => this.redisDown(error))
        if (inRedis && isTrusted(inRedis)) {
          if (this.levels.memory) landing.set(inRedis)
          return toBalance(inRedis, 'redis')
        }
      }
      const row = await this.postgres.read(key)
      if (row && isTrusted(row)) {
        await this.fill(row, landing)
        return toBalance(row, 'postgres')
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
      this.chainReads += 1
      const record = await this.options.chain.balance(account.address, token.coinType, {signal: AbortSignal.timeout(timeoutMs)})
      return await this.store(key, record)
    } catch (error) {
      const last = await this.postgres.read(key)
      if (!last) throw new RuntimeFailure(`the ${token.symbol} balance of account ${account.id} is not known and the chain did not answer within ${timeoutMs} ms`, {code: 'BALANCE_UNAVAILABLE', remedy: 'check the node with confio test-connection', cause: error})
      this.options.logger.warn({accountId: key.accountId, token: key.token, err: (error as Error).message}, 'chain balance read failed; serving the last value as stale')
      return {...toBalance(last, 'postgres'), isStale: true}
    }
  }

  private async verify(account: Account, token: Token, key: BalanceKey): Promise<Balance> {
    let record: BalanceRecord
    try {
      this.chainReads += 1
      record = await this.options.chain.balance(account.address, token.coinType)
    } catch (error) {
      throw new BalanceVerificationError(`cannot verify the ${token.symbol} balance of account ${account.id} on chain: ${(error as Error).message}`, error)
    }
    const stored = await this.store(key, record)
    // The amount is the chain's, whatever the cache knew; pending is confio's own record.
    return {...stored, amount: record.total, available: record.total - stored.pending, checkpoint: record.checkpoint, isStale: false, source: 'chain'}
  }

  /** Writes a chain value back (when it is the newest) and returns what the caller should see. */
  private async store(key: BalanceKey, record: Pick<BalanceRecord, 'total' | 'checkpoint'>): Promise<Balance> {
    const {balance, written, confirmed} = await this.postgres.writeFromChain(key, record.total, record.checkpoint)
    if (written) await this.publish([balance])
    else await this.fill(balance)
    if (confirmed) return toBalance(balance, 'chain')
    if (isTrusted(balance)) return toBalance(balance, 'postgres')
    // The row has seen a transaction after this reply's height: the chain value is behind it.
    return {...toBalance(balance, 'chain'), amount: record.total, available: record.total - balance.pending, checkpoint: record.checkpoint, isStale: true}
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
    this.options.logger.debug({err: (error as Error).message}, 'Redis unavailable; using PostgreSQL')
    return undefined
  }
}

function toBalance(row: CachedBalance, source: BalanceSource): Balance {
  return {
    token: row.token,
    amount: row.amount,
    pending: row.pending,
    available: row.amount - row.pending,
    checkpoint: row.checkpoint,
    lastSynced: row.syncedAtMs === null ? null : new Date(row.syncedAtMs),
    isStale: !isTrusted(row),
    source,
  }
}
