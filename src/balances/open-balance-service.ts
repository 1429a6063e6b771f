// For a Node service that imports confio: a BalanceService with its own PostgreSQL pool and Redis
// connection, and (listen: true) the invalidation listener that keeps its memory level in step
// with the workers and other services. close() ends all of them.
import {Redis} from 'ioredis'
import type {ChainReader} from '../chain/chain-reader.ts'
import {openChainReader} from '../chain/index.ts'
import {chainOptionsOf} from '../config/chain-options.ts'
import {type ConfioConfig, loadConfig} from '../config/config.ts'
import {createLogger, type Logger} from '../logging/logger.ts'
import {createDatabase, type Database} from '../store/database.ts'
import type {SessionTimeoutOverrides} from '../store/session-settings.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import {BalanceService} from './balance-service.ts'
import {InvalidationListener} from './invalidation-listener.ts'
import {RedisBalanceStore} from './redis-balance-store.ts'

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
  /** Subscribe to the invalidation channel (needs redisUrl). */
  readonly listen?: boolean
}

export interface OpenBalanceService {
  readonly service: BalanceService
  readonly db: Database
  readonly redis: Redis
  close(): Promise<void>
}

export async function openBalanceService(options: OpenBalanceServiceOptions): Promise<OpenBalanceService> {
  const db = createDatabase({url: options.databaseUrl, timeouts: options.databaseTimeouts})
  // No offline queue: while Redis is away a read must fall through to PostgreSQL at once.
  const redis = options.redis ?? new Redis(options.redisUrl as string, {enableOfflineQueue: false, maxRetriesPerRequest: 1})
  redis.on('error', () => undefined)
  if (redis.status === 'wait') await redis.connect().catch(() => undefined)
  else if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve).once('end', resolve))
  const service = new BalanceService({
    db,
    redis: new RedisBalanceStore(redis, options.redisPrefix),
    chain: options.chain,
    tokens: options.tokens,
    logger: options.logger,
    ...(options.chainTimeoutMs === undefined ? {} : {chainTimeoutMs: options.chainTimeoutMs}),
    ...(options.verifyTimeoutMs === undefined ? {} : {verifyTimeoutMs: options.verifyTimeoutMs}),
  })
  const listener = options.listen && options.redisUrl
    ? await InvalidationListener.start({redisUrl: options.redisUrl, prefix: options.redisPrefix, onInvalidation: service.onInvalidation, onReconnect: service.onReconnect})
    : undefined
  return {
    service,
    db,
    redis,
    async close() {
      await listener?.close()
      redis.disconnect()
      await db.destroy()
    },
  }
}

/**
 * A BalanceService configured the way the confio commands are (environment, .env,
 * confio.config.json: see the README's Configuration), listening for invalidations.
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
