// Sends committed balance changes to Redis: reads balance_cache_outbox (written in the same
// transaction as each change) and the rows it names, writes each row's current state to Redis
// (newer versions only) with its announcement on the channel, then deletes the outbox rows it
// delivered, by id. PostgreSQL and Redis never wait on each other: the reads are two short
// statements (the balances read after the outbox, so it sees every change the outbox rows stand
// for), Redis is written with no transaction open, and the delete is one more statement. A change
// committed meanwhile adds an outbox row of its own, which the next delivery sends.
//
// Redis down (every key refused: not answering, read-only): the rows stay and the relay tries
// again with backoff; no job ever waits for it. One key Redis refuses (WRONGTYPE, OOM) does not
// hold back the others: its copy is deleted instead (a miss is always safe), and a key that cannot
// even be deleted is set aside (attempts, retry_at: growing backoff) while the others go on.
// `confio status` raises an alarm when the oldest outbox row is older than --max-outbox-age.
//
// Sending the row's state as it is now (not as it was at the change) makes delivery idempotent and
// order-free: two relays, a retry or a late batch can only ever move Redis to a higher version.
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import {type BalanceKey, balanceKeyId} from './balance-keys.ts'
import {PostgresBalanceStore} from './postgres-balance-store.ts'
import type {RedisBalanceStore} from './redis-balance-store.ts'
import {messageOf} from '../errors.ts'

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
/** A set-aside row waits 1 s, 2 s, 4 s… up to 5 min before its next attempt. */
const SET_ASIDE_MIN_MS = 1_000
const SET_ASIDE_MAX_MS = 300_000

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

  /**
   * One delivery of up to batchSize rows due now; the number handled (delivered or set aside).
   * Throws (rows kept as they were) when Redis refused every key.
   */
  async deliverOnce(): Promise<number> {
    const {db, redis, logger} = this.options
    const {rows} = await db.raw<{rows: {id: string; account_id: string; token: string}[]}>(
      'SELECT id::text, account_id::text, token FROM balance_cache_outbox WHERE retry_at IS NULL OR retry_at <= now() ORDER BY id LIMIT ?',
      [this.options.batchSize ?? 1_000],
    )
    if (rows.length === 0) return 0
    const byKey = new Map<string, {key: BalanceKey; ids: string[]}>()
    for (const r of rows) {
      const key = {accountId: r.account_id, token: r.token}
      const entry = byKey.get(balanceKeyId(key))
      if (entry) entry.ids.push(r.id)
      else byKey.set(balanceKeyId(key), {key, ids: [r.id]})
    }
    const keys = [...byKey.values()].map((e) => e.key)
    const balances = new Map((await this.postgres.readMany(keys)).map((b) => [balanceKeyId(b), b]))
    const refused = await redis.deliver(keys.map((key) => ({key, balance: balances.get(balanceKeyId(key))})))
    const setAside = refused.flatMap(({key}) => byKey.get(balanceKeyId(key))?.ids ?? [])
    const kept = new Set(setAside)
    const delivered = rows.map((r) => r.id).filter((id) => !kept.has(id))
    await db.raw('DELETE FROM balance_cache_outbox WHERE id = ANY(?::bigint[])', [delivered])
    if (setAside.length > 0) {
      await db.raw(
        `UPDATE balance_cache_outbox SET attempts = attempts + 1, retry_at = now() + least(?::float8, ?::float8 * power(2, attempts)) * interval '1 millisecond' WHERE id = ANY(?::bigint[])`,
        [SET_ASIDE_MAX_MS, SET_ASIDE_MIN_MS, setAside],
      )
      for (const {key, error} of refused) logger.warn({accountId: key.accountId, token: key.token, err: error.message}, 'balance cache outbox: Redis would neither write this key nor delete it (or not announce it); set aside and retried with backoff, the others go on')
    }
    return rows.length
  }

  /** Delivers until no row is due (tests, a worker's drain): set-aside rows wait for their retry; throws when Redis fails. */
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
          logger.warn({err: messageOf(error)}, 'balance cache outbox: cannot deliver to Redis; changes wait in PostgreSQL and readers use it meanwhile')
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
