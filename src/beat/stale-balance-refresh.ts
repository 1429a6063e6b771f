// refresh_stale_balances, every 5 minutes: the balances marked stale (a transaction the worker
// could not apply, a removed-and-restored account, an operator's markStale) are read from the
// chain again, oldest first, at most `limit` per run, so a run's chain calls stay bounded. Each
// goes through BalanceService's forced refresh: the chain value is written through the versioned
// path (never over a change counted after its height) and sent to Redis.
//
// BalanceService does not throw when the chain fails: it serves the last value, marked stale.
// That is how a failure is told here (stale, and not from the chain); it counts in
// balances.sync_attempts, which a successful write resets to 0. A value the chain gave but the row
// refused (the row has seen a transaction after the node's height: the node lags) is "behind": the
// chain answered, so no attempt is counted, and the next run tries again.
import type {BalanceService} from '../balances/balance-service.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import {ConcurrencyLimiter} from '../support/concurrency-limiter.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import {messageOf} from '../errors.ts'

export interface StaleBalanceRefreshOptions {
  readonly db: Database
  readonly balances: BalanceService
  readonly tokens: TokenRegistry
  /** Rows per run (the original design's 100). */
  readonly limit: number
  /** Chain reads at once (default 4; the process-wide rate limit applies on top). */
  readonly concurrency?: number
  readonly logger: Logger
  readonly signal?: AbortSignal
}

export interface StaleBalanceRefreshResult {
  readonly selected: number
  /** Now fresh: written from the chain, or found fresh already. */
  readonly refreshed: number
  /** The chain did not answer (sync_attempts + 1). */
  readonly failed: number
  /** The chain answered at a height before a transaction the row has counted; still stale. */
  readonly behind: number
  /** Not read: the run was stopped first. */
  readonly notRead: number
  /** The first failure's message, if any. */
  readonly firstError?: string
}

interface StaleRow {
  account_id: string
  token: string
}

export async function refreshStaleBalances(options: StaleBalanceRefreshOptions): Promise<StaleBalanceRefreshResult> {
  const {db, balances, logger, signal} = options
  const {rows} = await db.raw<{rows: StaleRow[]}>(
    `SELECT b.account_id::text, b.token
     FROM balances b JOIN accounts a ON a.id = b.account_id
     WHERE b.is_stale AND a.deleted_at IS NULL AND b.token = ANY(?::text[])
     ORDER BY b.last_synced NULLS FIRST, b.id
     LIMIT ?`,
    [options.tokens.list().map((t) => t.symbol), options.limit],
  )
  const limiter = new ConcurrencyLimiter(options.concurrency ?? 4)
  const failed: StaleRow[] = []
  let refreshed = 0
  let behind = 0
  let notRead = 0
  let firstError: string | undefined
  await Promise.all(
    rows.map((row) =>
      limiter.run(async () => {
        if (signal?.aborted) {
          notRead += 1
          return
        }
        try {
          const balance = await balances.getBalance(row.account_id, row.token, {forceRefresh: true})
          if (!balance.isStale) refreshed += 1
          else if (balance.source === 'chain') behind += 1
          else {
            failed.push(row)
            firstError ??= 'the chain did not answer; the last value was kept, stale'
          }
        } catch (error) {
          failed.push(row)
          firstError ??= messageOf(error)
        }
      }),
    ),
  )
  if (failed.length > 0) {
    // Only rows still stale: one a worker or a reader refreshed meanwhile has its count reset.
    await db.raw(
      `UPDATE balances b SET sync_attempts = b.sync_attempts + 1
       FROM unnest(?::bigint[], ?::text[]) AS k(account_id, token)
       WHERE b.account_id = k.account_id AND b.token = k.token AND b.is_stale`,
      [failed.map((r) => r.account_id), failed.map((r) => r.token)],
    )
    logger.warn({failed: failed.length, selected: rows.length, err: firstError}, 'stale balance refresh: the chain did not answer for some balances; sync_attempts counted')
  }
  return {selected: rows.length, refreshed, failed: failed.length, behind, notRead, ...(firstError === undefined ? {} : {firstError})}
}
