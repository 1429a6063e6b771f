// Pending amounts that outlived their send. BalanceService.addPending records what an in-flight
// send committed to, and the worker releases it when it processes that digest. A send that never
// reaches the chain (rejected, dropped, never submitted) would hold the amount forever and keep
// `available` low; after the TTL (10 minutes by default, far beyond a send's finality) it is
// released here, exactly as the worker releases it: the pending_balance_changes row goes, the
// balance's pending_amount drops (never below 0) with a new version, and the change is queued for
// Redis in balance_cache_outbox, all in one transaction. Each release is logged.
//
// Locks: the expired rows are taken FOR UPDATE SKIP LOCKED (a row a worker is releasing right now
// is the worker's), then their balances rows in (account, token) order, the order the worker locks
// them in, so the two wait for each other instead of deadlocking.
import {lockBalanceRows, pendingReleaseStatement} from '../balances/postgres-balance-store.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'

export interface PendingExpiryOptions {
  readonly db: Database
  /** A pending amount older than this is released. */
  readonly ttlMs: number
  readonly logger: Logger
  /** Rows per transaction (default 1,000). */
  readonly batchSize?: number
  readonly signal?: AbortSignal
}

export interface PendingExpiryResult {
  /** pending_balance_changes rows released. */
  readonly expired: number
  /** balances rows whose pending_amount dropped. */
  readonly balances: number
}

interface ExpiredRow {
  tx_digest: string
  account_id: string
  token: string
  amount: string
  created_at: Date
}

export async function expirePendingAmounts(options: PendingExpiryOptions): Promise<PendingExpiryResult> {
  const {db, logger} = options
  const batchSize = options.batchSize ?? 1_000
  let expired = 0
  let balances = 0
  for (;;) {
    if (options.signal?.aborted) break
    const batch = await db.transaction(async (trx) => {
      const {rows} = await trx.raw<{rows: ExpiredRow[]}>(
        `SELECT tx_digest, account_id::text, token, amount::text, created_at
         FROM pending_balance_changes
         WHERE created_at < now() - ? * interval '1 millisecond'
         ORDER BY account_id, token, tx_digest
         LIMIT ?
         FOR UPDATE SKIP LOCKED`,
        [options.ttlMs, batchSize],
      )
      if (rows.length === 0) return {rows, balances: 0}
      const keys = {digests: rows.map((r) => r.tx_digest), accounts: rows.map((r) => r.account_id), tokens: rows.map((r) => r.token)}
      await trx.raw(lockBalanceRows('SELECT * FROM unnest(?::bigint[], ?::text[])'), [keys.accounts, keys.tokens])
      const {rows: changed} = await trx.raw<{rows: {n: number}[]}>(
        pendingReleaseStatement(
          `DELETE FROM pending_balance_changes p
           USING unnest(?::text[], ?::bigint[], ?::text[]) AS k(tx_digest, account_id, token)
           WHERE p.tx_digest = k.tx_digest AND p.account_id = k.account_id AND p.token = k.token
           RETURNING p.account_id, p.token, p.amount`,
          'SELECT count(*)::int AS n FROM released',
        ),
        [keys.digests, keys.accounts, keys.tokens],
      )
      return {rows, balances: changed[0]?.n ?? 0}
    })
    for (const row of batch.rows) {
      logger.info(
        {digest: row.tx_digest, accountId: row.account_id, token: row.token, amount: row.amount, createdAt: row.created_at.toISOString()},
        'pending amount expired: released (its transaction was not processed in time)',
      )
    }
    expired += batch.rows.length
    balances += batch.balances
    if (batch.rows.length < batchSize) break
  }
  return {expired, balances}
}
