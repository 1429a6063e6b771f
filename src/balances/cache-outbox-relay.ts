// Sends committed balance changes to Redis: reads balance_cache_outbox (written in the same
// transaction as each change), writes each row's current state to Redis (newer versions only) with
// its announcement on the channel, and deletes the outbox rows it delivered, all under one
// PostgreSQL transaction that skips rows another relay holds. Redis down: the transaction rolls
// back, the rows stay, and the relay tries again with backoff; no job ever waits for it.
//
// Sending the row's state as it is now (not as it was at the change) makes delivery idempotent and
// order-free: two relays, a retry or a late batch can only ever move Redis to a higher version.
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import type {BalanceKey} from './balance-keys.ts'
import {PostgresBalanceStore} from './postgres-balance-store.ts'
import type {RedisBalanceStore} from './redis-balance-store.ts'

export interface CacheOutboxRelayOptions {
  readonly db: Database
  readonly redis: RedisBalanceStore
  readonly logger: Logger
  /** Rows per delivery (default 1,000). */
  readonly batchSize?: number
  /** How often to look when nobody woke the relay (default 1 s): outbox rows of other processes. */
  readonly idleIntervalMs?: number
  /** After a wake, how long to gather further changes into the same delivery (default 100 ms). */
  readonly gatherMs?: number
}

const RETRY_MIN_MS = 500
const RETRY_MAX_MS = 10_000

export class CacheOutboxRelay {
  private readonly options: CacheOutboxRelayOptions
  private readonly postgres: PostgresBalanceStore
  private running: Promise<void> | undefined
  private stopping = false
  private wakeUp: (() => void) | undefined
  /** Ends the pause in hand at once (stop). */
  private halt: (() => void) | undefined
  private woken = false
  private failingSince: number | undefined

  constructor(options: CacheOutboxRelayOptions) {
    this.options = options
    this.postgres = new PostgresBalanceStore(options.db)
  }

  start(): void {
    this.running ??= this.loop()
  }

  /** Deliver soon: a commit just wrote outbox rows. */
  wake(): void {
    this.woken = true
    // While Redis is down the backoff stands: every commit waking it would hammer a dead server.
    if (this.failingSince === undefined) this.wakeUp?.()
  }

  /** Stops after the delivery in hand; what is left waits in the outbox for the next relay. */
  async stop(): Promise<void> {
    this.stopping = true
    this.halt?.()
    await this.running
  }

  /** One delivery of up to batchSize rows; the number delivered. Throws (rows kept) when Redis fails. */
  async deliverOnce(): Promise<number> {
    const batchSize = this.options.batchSize ?? 1_000
    return this.options.db.transaction(async (trx) => {
      const {rows} = await trx.raw<{rows: {id: string; account_id: string; token: string}[]}>(
        'SELECT id::text, account_id::text, token FROM balance_cache_outbox ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED',
        [batchSize],
      )
      if (rows.length === 0) return 0
      const keys = new Map<string, BalanceKey>(rows.map((r) => [`${r.account_id}:${r.token}`, {accountId: r.account_id, token: r.token}]))
      await this.options.redis.publish(await this.postgres.readMany([...keys.values()], trx))
      await trx.raw('DELETE FROM balance_cache_outbox WHERE id = ANY(?::bigint[])', [rows.map((r) => r.id)])
      return rows.length
    })
  }

  /** Delivers until the outbox is empty (tests, a worker's drain); throws when Redis fails. */
  async drain(): Promise<void> {
    while ((await this.deliverOnce()) > 0) {
      // keep going
    }
  }

  private async loop(): Promise<void> {
    const {logger} = this.options
    const batchSize = this.options.batchSize ?? 1_000
    let failures = 0
    while (!this.stopping) {
      this.woken = false
      try {
        const count = await this.deliverOnce()
        if (this.failingSince !== undefined) logger.info({downMs: Date.now() - this.failingSince}, 'balance cache outbox: Redis is back; delivering again')
        this.failingSince = undefined
        failures = 0
        // A full batch: more are waiting, go on at once.
        if (count >= batchSize) continue
      } catch (error) {
        failures += 1
        if (this.failingSince === undefined) {
          this.failingSince = Date.now()
          logger.warn({err: (error as Error).message}, 'balance cache outbox: cannot deliver to Redis; changes wait in PostgreSQL and readers use it meanwhile')
        }
      }
      const gatherMs = this.options.gatherMs ?? 100
      const waitMs = failures > 0 ? Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1)) : this.woken ? gatherMs : (this.options.idleIntervalMs ?? 1_000)
      await this.pause(waitMs, failures > 0 ? undefined : gatherMs)
    }
  }

  /**
   * Waits `ms`; a wake() meanwhile shortens the wait to `gatherMs` (when given), so the commits of
   * the next few milliseconds share one delivery instead of one PostgreSQL transaction each.
   */
  private pause(ms: number, gatherMs: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const started = Date.now()
      let timer = setTimeout(done, ms)
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
      this.wakeUp = () => {
        this.wakeUp = undefined
        if (gatherMs === undefined || Date.now() - started + gatherMs >= ms) return
        clearTimeout(timer)
        timer = setTimeout(done, gatherMs)
      }
      this.halt = () => {
        this.halt = undefined
        done()
      }
    })
  }
}
