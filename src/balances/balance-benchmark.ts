// Timed reads through BalanceService, for `confio test-balance`: every read path on one account
// (timeBalanceSteps), and reads served by each cache level over many accounts beside a bare Redis
// GET of the same keys (benchmarkBalanceLevels).
//
// The benchmark reads one balance at a time (latency, not throughput under load), through the
// service's own getBalance, so a figure is what a caller in this process sees. It checks the
// `source` of every timed read: a read that was not served by the level being measured is counted
// as a mismatch and reported, never silently mixed into that level's figures.
import type {Redis} from 'ioredis'
import type {Account} from '../accounts/account-repository.ts'
import {messageOf, RuntimeFailure, UsageError} from '../errors.ts'
import type {Database} from '../store/database.ts'
import {nearestRank} from '../support/percentiles.ts'
import type {Token} from '../tokens/token-registry.ts'
import {balanceCacheKey, type BalanceKey, balanceKeyId} from './balance-keys.ts'
import type {Balance, BalanceLevels, BalanceService, BalanceSource} from './balance-service.ts'
import {isTrusted} from './cached-balance.ts'
import {PostgresBalanceStore} from './postgres-balance-store.ts'

// ---- the read paths on one account ----

export const BALANCE_STEPS = ['cached', 'forced-refresh', 'critical', 'stale-then-read', 'all-balances'] as const
export type BalanceStep = (typeof BALANCE_STEPS)[number]

export interface BalanceStepRow extends Balance {
  readonly step: BalanceStep
  /** Wall time of the step; for all-balances, of the one call that read every token. */
  readonly ms: number
  /** Chain balance reads the step made (for all-balances, the one ListBalances, on every row). */
  readonly chainReads: number
}

export interface BalanceStepsResult {
  readonly account: Pick<Account, 'id' | 'email' | 'address'>
  readonly tokens: string[]
  readonly rows: BalanceStepRow[]
}

/**
 * Runs each read path on `accountRef`, step by step over every token: a plain read, a forced
 * refresh, a critical verification, a mark-stale followed by a read (both timed), then one
 * getAllBalances. Throws the service's UsageError when there is no such account.
 */
export async function timeBalanceSteps(service: BalanceService, accountRef: string, tokens: readonly Token[]): Promise<BalanceStepsResult> {
  const account = await service.account(accountRef)
  const ref = account.id
  const rows: BalanceStepRow[] = []
  const timed = async <T>(run: () => Promise<T>): Promise<{value: T; ms: number; chainReads: number}> => {
    const reads = service.chainReads
    const started = performance.now()
    const value = await run()
    return {value, ms: round(performance.now() - started, 3), chainReads: service.chainReads - reads}
  }
  const perToken: [BalanceStep, (symbol: string) => Promise<Balance>][] = [
    ['cached', (symbol) => service.getBalance(ref, symbol)],
    ['forced-refresh', (symbol) => service.getBalance(ref, symbol, {forceRefresh: true})],
    ['critical', (symbol) => service.getBalance(ref, symbol, {verifyCritical: true})],
    [
      'stale-then-read',
      async (symbol) => {
        await service.markStale(ref, symbol)
        return service.getBalance(ref, symbol)
      },
    ],
  ]
  for (const [step, read] of perToken) {
    for (const token of tokens) {
      const {value, ms, chainReads} = await timed(() => read(token.symbol))
      rows.push({...value, step, ms, chainReads})
    }
  }
  const all = await timed(() => service.getAllBalances(ref))
  const wanted = new Set(tokens.map((t) => t.symbol))
  for (const balance of all.value) if (wanted.has(balance.token)) rows.push({...balance, step: 'all-balances', ms: all.ms, chainReads: all.chainReads})
  return {account: {id: account.id, email: account.email, address: account.address}, tokens: tokens.map((t) => t.symbol), rows}
}

// ---- reads served by each level ----

/** Nearest-rank figures over one level's timed reads; perSecond is 1000 / mean (one read at a time). */
export interface LatencyFigures {
  readonly reads: number
  readonly minMs: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly p99Ms: number
  readonly perSecond: number
}

export interface LevelFigures extends LatencyFigures {
  /** Timed reads whose source was another level (each is still in the figures above). */
  readonly mismatches: number
  /** How many timed reads each level served. */
  readonly sources: Partial<Record<BalanceSource, number>>
}

export type CacheLevel = Exclude<BalanceSource, 'chain'>

export interface BalanceBenchmarkResult {
  readonly accounts: number
  readonly tokens: string[]
  /** (account, token) pairs the reads go round. */
  readonly balances: number
  readonly iterations: number
  /** Timed chain reads (at most CHAIN_READ_LIMIT). */
  readonly chainIterations: number
  /** Chain calls made to give every balance a trusted row before timing (ListBalances per account). */
  readonly primingChainReads: number
  /** Every chain balance read the service made during the run, priming and warm-ups included. */
  readonly chainReads: number
  readonly levels: Record<BalanceSource, LevelFigures>
  readonly floor: {readonly redisGet: LatencyFigures}
  /** Chain p50 / level p50. */
  readonly speedups: Record<CacheLevel, number>
  /** Sum over the levels. */
  readonly mismatches: number
}

/**
 * The chain is rate-limited in production (public fullnodes allow about 100 requests per 30 s),
 * so the chain level makes at most this many timed reads, whatever the iterations.
 */
export const CHAIN_READ_LIMIT = 50

export type BenchmarkStage = BalanceSource | 'redis GET' | 'priming'

export interface BenchmarkProgress {
  readonly stage: BenchmarkStage
  readonly done: number
  readonly total: number
  /** Set once, when the stage is over. */
  readonly figures?: LatencyFigures
}

export interface BalanceBenchmarkOptions {
  readonly service: BalanceService
  readonly db: Database
  /** The connection the service's Redis level uses, for the bare GET beside it. */
  readonly redis: Redis
  readonly redisPrefix: string
  readonly tokens: readonly Token[]
  /** The first `accounts` active accounts by id. */
  readonly accounts: number
  /** Timed reads per level (the chain: at most CHAIN_READ_LIMIT). */
  readonly iterations: number
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: BenchmarkProgress) => void
}

/** Reads (untimed) before each level's timed ones, so JIT and connections are warm. */
const WARM_UP_READS = 200

/**
 * Reads the same balances (the first `accounts` accounts x every token) through each level in
 * turn, the upper levels switched off with useLevels: memory (warm), Redis (memory off),
 * PostgreSQL (memory and Redis off), and the chain (each read after a markStale of that balance,
 * so it is a true miss: the cache lookups, the chain call and the write back). Beside the Redis
 * level, a bare ioredis GET of the same key on the same connection after each read: its floor.
 * The service's levels are all on again afterwards.
 */
export async function benchmarkBalanceLevels(options: BalanceBenchmarkOptions): Promise<BalanceBenchmarkResult> {
  const {service, tokens, signal} = options
  const accountIds = await firstAccounts(options.db, options.accounts)
  if (accountIds.length === 0) {
    throw new UsageError('there are no accounts to read balances of', {remedy: 'add some with confio accounts import FILE (email,address,label) or confio accounts add --email E --address A'})
  }
  const keys: BalanceKey[] = accountIds.flatMap((accountId) => tokens.map((t) => ({accountId, token: t.symbol})))
  const chainReadsBefore = service.chainReads
  const progress = options.onProgress ?? (() => undefined)
  const stopped = () => {
    if (signal?.aborted) throw new RuntimeFailure(`the benchmark was stopped by ${messageOf(signal.reason)} before it finished`, {code: 'INTERRUPTED', remedy: 'run it again'})
  }

  try {
    const primingChainReads = await prime(options, accountIds, keys)
    const read = (key: BalanceKey) => service.getBalance(key.accountId, key.token)
    const iterations = options.iterations
    const chainIterations = Math.min(iterations, CHAIN_READ_LIMIT)

    const redisKey = (key: BalanceKey) => balanceCacheKey(options.redisPrefix, key)
    const floorSamples: number[] = []
    /** The floor: a bare GET of the key the Redis level just read, timed the same way. */
    const bareGet = async (key: BalanceKey, timed: boolean): Promise<void> => {
      const started = performance.now()
      await options.redis.get(redisKey(key))
      if (timed) floorSamples.push(performance.now() - started)
    }

    const measureLevel = async (level: BalanceSource, levels: BalanceLevels, count: number, warmUp: number, around: {before?: (key: BalanceKey) => Promise<unknown>; beside?: typeof bareGet} = {}): Promise<LevelFigures> => {
      service.useLevels(levels)
      for (let i = 0; i < warmUp; i++) {
        const key = keys[i % keys.length] as BalanceKey
        await around.before?.(key)
        await read(key)
        await around.beside?.(key, false)
      }
      const samples: number[] = []
      const sources: Partial<Record<BalanceSource, number>> = {}
      const every = Math.max(1, Math.floor(count / 100))
      for (let i = 0; i < count; i++) {
        if (i % every === 0) {
          stopped()
          progress({stage: level, done: i, total: count})
        }
        const key = keys[i % keys.length] as BalanceKey
        await around.before?.(key)
        const started = performance.now()
        const balance = await read(key)
        samples.push(performance.now() - started)
        sources[balance.source] = (sources[balance.source] ?? 0) + 1
        await around.beside?.(key, true)
      }
      const figures = {...latencyOf(samples), mismatches: count - (sources[level] ?? 0), sources}
      progress({stage: level, done: count, total: count, figures})
      return figures
    }

    const memory = await measureLevel('memory', {memory: true, redis: true}, iterations, WARM_UP_READS)
    // Each Redis-level read is followed by a bare GET of the same key on the same connection, so
    // both see the same moments of a busy machine and the ratio between them means something.
    const redis = await measureLevel('redis', {memory: false, redis: true}, iterations, WARM_UP_READS, {beside: bareGet})
    const redisGet = latencyOf(floorSamples)
    progress({stage: 'redis GET', done: iterations, total: iterations, figures: redisGet})
    const postgres = await measureLevel('postgres', {memory: false, redis: false}, iterations, WARM_UP_READS)
    // One untimed miss first: the first chain call of a process may open the connection.
    const chain = await measureLevel('chain', {memory: true, redis: true}, chainIterations, 1, {before: (key) => service.markStale(key.accountId, key.token)})
    const speedup = (level: LatencyFigures) => (level.p50Ms > 0 ? round(chain.p50Ms / level.p50Ms, 1) : 0)
    return {
      accounts: accountIds.length,
      tokens: tokens.map((t) => t.symbol),
      balances: keys.length,
      iterations,
      chainIterations,
      primingChainReads,
      chainReads: service.chainReads - chainReadsBefore,
      levels: {memory, redis, postgres, chain},
      floor: {redisGet},
      speedups: {memory: speedup(memory), redis: speedup(redis), postgres: speedup(postgres)},
      mismatches: memory.mismatches + redis.mismatches + postgres.mismatches + chain.mismatches,
    }
  } finally {
    service.useLevels({memory: true, redis: true})
  }
}

/** Nearest-rank percentiles; perSecond from the mean, as reads made one after another. */
export function latencyOf(samples: readonly number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (p: number): number => nearestRank(sorted, p)
  const total = sorted.reduce((sum, ms) => sum + ms, 0)
  const ms = (value: number) => round(value, 4)
  return {reads: sorted.length, minMs: ms(sorted[0] ?? 0), p50Ms: ms(rank(50)), p95Ms: ms(rank(95)), p99Ms: ms(rank(99)), perSecond: total > 0 ? Math.round((sorted.length * 1000) / total) : 0}
}

/** Timings to a tenth of a microsecond: the clock says no more than that. */
function round(value: number, decimals: number): number {
  const scale = 10 ** decimals
  return Math.round(value * scale) / scale
}

/** The ids of the first `count` active accounts (the table can hold millions: never all of them). */
async function firstAccounts(db: Database, count: number): Promise<string[]> {
  const rows: {id: string | number}[] = await db('accounts').whereNull('deleted_at').orderBy('id').limit(count).select('id')
  return rows.map((r) => String(r.id))
}

/**
 * Gives every balance a trusted PostgreSQL row (one ListBalances for each account missing one),
 * then reads each once with every level on, which fills memory and Redis. Returns the chain calls.
 */
async function prime(options: BalanceBenchmarkOptions, accountIds: readonly string[], keys: readonly BalanceKey[]): Promise<number> {
  const {service, tokens} = options
  const store = new PostgresBalanceStore(options.db)
  const trusted = new Set((await store.readMany(keys)).filter(isTrusted).map(balanceKeyId))
  const missing = accountIds.filter((accountId) => tokens.some((t) => !trusted.has(balanceKeyId({accountId, token: t.symbol}))))
  const reads = service.chainReads
  const total = missing.length + keys.length
  service.useLevels({memory: true, redis: true})
  for (const [i, accountId] of missing.entries()) {
    if (i % 10 === 0) options.onProgress?.({stage: 'priming', done: i, total})
    await service.getAllBalances(accountId)
  }
  for (const [i, key] of keys.entries()) {
    if (i % 100 === 0) options.onProgress?.({stage: 'priming', done: missing.length + i, total})
    await service.getBalance(key.accountId, key.token)
  }
  options.onProgress?.({stage: 'priming', done: total, total})
  return service.chainReads - reads
}
