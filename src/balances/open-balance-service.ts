// For a Node service that imports confio: a BalanceService with its own PostgreSQL pool and Redis
// connection, and (listen: true) the invalidation listener that keeps its memory level in step
// with the workers and other services. The cache generation is read at open and again every 5 s,
// and at once when `confio cache reset` announces a new one. close() ends all of them.
import {Redis} from 'ioredis'
import {openChainReader} from '../chain/index.ts'
import type {ChainReader} from '../chain/index.ts'
import {chainOptionsOf} from '../config/chain-options.ts'
import {type ConfioConfig, loadConfig} from '../config/config.ts'
import {createLogger, type Logger} from '../logging/logger.ts'
import {createDatabase, type Database} from '../store/database.ts'
import type {SessionTimeoutOverrides} from '../store/session-settings.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import {REDIS_COMMAND_TIMEOUT_DEFAULT_MS} from '../config/settings.ts'
import {BalanceService} from './balance-service.ts'
import {CacheGeneration} from './cache-generation.ts'
import {InvalidationListener} from './invalidation-listener.ts'
import {RedisBalanceStore} from './redis-balance-store.ts'
import {messageOf} from '../errors.ts'
import type {MetricsRegistry} from '../support/metric-families.ts'

export interface OpenBalanceServiceOptions {
  readonly databaseUrl: string
  /** PostgreSQL statement, lock and idle-in-transaction timeouts over the `command` kind's defaults (the PG_* settings). */
  readonly databaseTimeouts?: SessionTimeoutOverrides
  /** A connection to use (closed with the service), or the URL to open one. */
  readonly redis?: Redis
  readonly redisUrl?: string
  readonly redisPrefix: string
  readonly chain: ChainReader
  readonly tokens: TokenRegistry
  readonly logger: Logger
  readonly chainTimeoutMs?: number
  /** verifyCritical's deadline (BALANCE_VERIFY_TIMEOUT; default 5 s). */
  readonly verifyTimeoutMs?: number
  /** REDIS_COMMAND_TIMEOUT for the connection opened from redisUrl and the listener's (default 1 s). */
  readonly redisCommandTimeoutMs?: number
  /** BALANCE_MEMORY_MAX_AGE (default 60 s). */
  readonly memoryMaxAgeMs?: number
  /** Subscribe to the invalidation channel (needs redisUrl). */
  readonly listen?: boolean
  /** Where the service's reads by level and chain fallbacks are exposed: the caller's prom-client Registry. */
  readonly metrics?: MetricsRegistry
}

export interface OpenBalanceService {
  readonly service: BalanceService
  readonly db: Database
  readonly redis: Redis
  close(): Promise<void>
}

export async function openBalanceService(options: OpenBalanceServiceOptions): Promise<OpenBalanceService> {
  const db = createDatabase({url: options.databaseUrl, timeouts: options.databaseTimeouts})
  const commandTimeoutMs = options.redisCommandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_DEFAULT_MS
  // No offline queue: while Redis is away a read must fall through to PostgreSQL at once; and one
  // that does not answer fails at the command timeout.
  const redis = options.redis ?? new Redis(options.redisUrl as string, {enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs})
  redis.on('error', () => undefined)
  if (redis.status === 'wait') await redis.connect().catch(() => undefined)
  else if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve).once('end', resolve))
  const started = await startBalanceService({...options, db, redis, redisCommandTimeoutMs: commandTimeoutMs}).catch(async (error: unknown) => {
    await db.destroy()
    redis.disconnect()
    throw error
  })
  return {
    service: started.service,
    db,
    redis,
    async close() {
      await started.close()
      redis.disconnect()
      await db.destroy()
    },
  }
}

/** What startBalanceService needs beyond the options: the pool and the Redis client, which stay the caller's. */
export type BalanceServiceParts = Omit<OpenBalanceServiceOptions, 'databaseUrl' | 'databaseTimeouts' | 'redis'> & {readonly db: Database; readonly redis: Redis}

/**
 * A BalanceService over a pool and a Redis client the caller owns (`confio serve`, openBalanceService):
 * the cache generation read and watched, and (listen: true) the invalidation listener started.
 * close() stops those two; the pool and the client are the caller's to close.
 */
export async function startBalanceService(parts: BalanceServiceParts): Promise<{service: BalanceService; close(): Promise<void>}> {
  const {db} = parts
  const generation = await CacheGeneration.read(db)
  const unread = (error: unknown) => parts.logger.warn({err: messageOf(error)}, 'cannot read the cache generation; trying again')
  generation.watch(unread)
  const service = new BalanceService({
    db,
    redis: new RedisBalanceStore(parts.redis, parts.redisPrefix, generation),
    chain: parts.chain,
    tokens: parts.tokens,
    logger: parts.logger,
    ...(parts.chainTimeoutMs === undefined ? {} : {chainTimeoutMs: parts.chainTimeoutMs}),
    ...(parts.verifyTimeoutMs === undefined ? {} : {verifyTimeoutMs: parts.verifyTimeoutMs}),
    ...(parts.memoryMaxAgeMs === undefined ? {} : {memoryMaxAgeMs: parts.memoryMaxAgeMs}),
    ...(parts.metrics === undefined ? {} : {metrics: parts.metrics}),
  })
  const listener = parts.listen && parts.redisUrl
    ? await InvalidationListener.start({
        redisUrl: parts.redisUrl,
        prefix: parts.redisPrefix,
        commandTimeoutMs: parts.redisCommandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_DEFAULT_MS,
        onInvalidation: service.onInvalidation,
        onDisconnect: service.onDisconnect,
        onReconnect: service.onReconnect,
        // PostgreSQL says what the generation is; the message only says when to ask.
        onGeneration: () => void generation.refresh().catch(unread),
      }).catch((error: unknown) => {
        generation.stop()
        throw error
      })
    : undefined
  return {
    service,
    async close() {
      generation.stop()
      await listener?.close()
    },
  }
}

/**
 * A BalanceService configured the way the confio commands are (environment, .env,
 * confio.config.json: see docs/configuration.md), listening for invalidations.
 */
export async function openConfiguredBalanceService(config: ConfioConfig = loadConfig()): Promise<OpenBalanceService & {chain: ChainReader}> {
  const logger = createLogger({level: config.logLevel, scrubber: config.scrubber}).child({component: 'balances'})
  const chain = openChainReader(chainOptionsOf(config.sui), {logger})
  const opened = await openBalanceService({
    databaseUrl: config.databaseUrl,
    databaseTimeouts: config.databaseTimeouts,
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    chain,
    tokens: config.tokens,
    logger,
    verifyTimeoutMs: config.balanceVerifyTimeoutMs,
    redisCommandTimeoutMs: config.redisCommandTimeoutMs,
    memoryMaxAgeMs: config.balanceMemoryMaxAgeMs,
    listen: true,
  })
  return {
    ...opened,
    chain,
    async close() {
      await opened.close()
      chain.close()
    },
  }
}
