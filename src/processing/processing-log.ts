// transaction_processing_log: one row per digest saying where its processing stands, for the
// on-call engineer and for the worker itself.
//
//   (no row) -> processing -> completed
//                          -> pending (failed, a retry is scheduled) -> processing -> ...
//                          -> failed (retries exhausted, a permanent error, or the stall limit)
//   failed -> pending (confio worker --retry-failed)
//
// `processing` is committed before the job's own transaction starts, so a worker that dies
// mid-job leaves it behind: the next run of that digest finds it and counts a stall.
import type {Database} from '../store/database.ts'
import {namedAddresses} from './raw-event-addresses.ts'

/** The fenced update of a log row to an outcome; bindings: status, error, digest, claim prefix length, claim prefix. */
const OUTCOME_UPDATE = `UPDATE transaction_processing_log SET status = ?, error_message = ?, finished_at = now(), updated_at = now()
  WHERE tx_digest = ? AND status = 'processing' AND left(coalesce(claimed_by, ''), ?) = ?`

export interface AttemptStart {
  /** Runs of this digest so far, this one included. */
  readonly attempts: number
  /** Runs that died mid-job (found still `processing` when the next one started). */
  readonly stalls: number
}

export async function markCompleted(db: Database, digest: string, handler: string): Promise<void> {
  await db.raw(
    `UPDATE transaction_processing_log SET status = 'completed', handler = ?, error_message = NULL, finished_at = now(), updated_at = now() WHERE tx_digest = ?`,
    [handler, digest],
  )
}

/**
 * A retry is scheduled: the error is kept until the next outcome. Fenced like markFailed; false
 * when the row is not this worker's to change.
 */
export async function markRetrying(db: Database, digest: string, error: string, worker: string): Promise<boolean> {
  const claimPrefix = `${worker}:`
  const {rowCount} = await db.raw(OUTCOME_UPDATE, ['pending', error, digest, claimPrefix.length, claimPrefix])
  return (rowCount ?? 0) > 0
}

/**
 * Fenced: only a row still `processing` under a claim of this worker (`<host>:<pid>`, any of its
 * runs) changes. A worker that wakes after a long pause must not turn a job another run has
 * claimed, retried or completed back to pending or failed.
 *
 * A transaction failed for good is never applied, so no balance it may have changed can stay
 * trusted: in the same statement, every balance (of `tokens`) of every active account it names
 * (raw-event-addresses.ts) is marked stale, a row created where there is none, and its
 * seen_checkpoint moved up to the transaction's, so only a chain value read after it can make the
 * balance trusted again. Returns whether the log row changed, and how many balances were marked.
 */
export async function markFailed(db: Database, digest: string, error: string, worker: string, tokens: readonly string[]): Promise<{recorded: boolean; staled: number}> {
  const claimPrefix = `${worker}:`
  const {rows} = await db.raw<{rows: {recorded: boolean; staled: number}[]}>(
    `WITH failed AS (
       ${OUTCOME_UPDATE}
       RETURNING tx_digest
     ),
     event AS (SELECT e.* FROM raw_blockchain_events e JOIN failed USING (tx_digest)),
     touched AS (
       SELECT a.id, t.token FROM accounts a CROSS JOIN unnest(?::text[]) AS t(token)
       WHERE a.deleted_at IS NULL AND a.sui_address = ANY(ARRAY(SELECT named.address FROM event e, LATERAL (${namedAddresses('e')}) AS named(address)))
     ),
     stale AS (
       INSERT INTO balances AS b (account_id, token, is_stale, seen_checkpoint)
       SELECT id, token, true, (SELECT checkpoint FROM event) FROM touched ORDER BY id, token
       ON CONFLICT (account_id, token) DO UPDATE SET
         is_stale = true,
         seen_checkpoint = GREATEST(b.seen_checkpoint, EXCLUDED.seen_checkpoint),
         version = b.version + CASE WHEN b.is_stale THEN 0 ELSE 1 END
       -- The statement's snapshot still holds the old version: a row whose version moved (or a new
       -- row) is one Redis must be told about.
       RETURNING b.account_id, b.token, b.version IS DISTINCT FROM (SELECT o.version FROM balances o WHERE o.account_id = b.account_id AND o.token = b.token) AS changed
     ),
     outbox AS (INSERT INTO balance_cache_outbox (account_id, token) SELECT account_id, token FROM stale WHERE changed ORDER BY account_id, token)
     SELECT EXISTS (SELECT 1 FROM failed) AS recorded, (SELECT count(*) FROM stale)::int AS staled`,
    ['failed', error, digest, claimPrefix.length, claimPrefix, [...tokens]],
  )
  return rows[0] ?? {recorded: false, staled: 0}
}

/** A page of failed digests after log id `afterId`, in id order, with the last id for the next page. */
export async function failedDigests(db: Database, page: {afterId: string; limit: number}): Promise<{digests: string[]; lastId: string | undefined}> {
  const rows: {id: string; tx_digest: string}[] = await db('transaction_processing_log')
    .select('id', 'tx_digest')
    .where({status: 'failed'})
    .where('id', '>', page.afterId)
    .orderBy('id')
    .limit(page.limit)
  return {digests: rows.map((r) => r.tx_digest), lastId: rows.at(-1)?.id}
}

/** Gives failed digests a fresh set of attempts and stalls; returns the digests reset. */
export async function resetFailed(db: Database, digests: readonly string[]): Promise<string[]> {
  if (digests.length === 0) return []
  const rows: {tx_digest: string}[] = await db('transaction_processing_log')
    .whereIn('tx_digest', digests)
    .whereIn('status', ['failed', 'pending'])
    .update({status: 'pending', attempts: 0, stalls: 0, updated_at: db.fn.now()})
    .returning('tx_digest')
  return rows.map((r) => r.tx_digest)
}
