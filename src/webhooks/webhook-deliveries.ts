// webhook_deliveries, the webhook outbox (src/store/migrations/20261219000000_webhook_outbox.ts):
// every statement on it but the ones that queue events (webhook-events.ts). A row is `pending`
// until a 2xx answer marks it `delivered`; each failure schedules the next attempt, and one that
// comes 24 h after the event was queued (give_up_at) leaves it `failed`, for an operator to list and
// resend (`confio webhooks list --failed`, `confio webhooks retry`).
import type {Database} from '../store/database.ts'
import type {WebhookType} from './webhook-events.ts'

export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

/** A row claimed for sending. */
export interface ClaimedDelivery {
  readonly id: string
  readonly type: WebhookType
  readonly payload: unknown
  /** ISO 8601: when the event was queued (the body's createdAt). */
  readonly createdAt: string
  /** Attempts so far, this one included. */
  readonly attempts: number
}

/** What one attempt came to. */
export type DeliveryOutcome =
  | {readonly id: string; readonly kind: 'delivered'}
  | {readonly id: string; readonly kind: 'failed'; readonly error: string; readonly retryInMs: number}
  /** Not sent (the sender stopped first): due again at once, the attempt not counted. */
  | {readonly id: string; readonly kind: 'released'}

/** The body a receiver gets, exactly as signed: the same bytes on every attempt. */
export function bodyOf(delivery: Pick<ClaimedDelivery, 'id' | 'type' | 'createdAt' | 'payload'>): string {
  return JSON.stringify({id: delivery.id, type: delivery.type, createdAt: delivery.createdAt, data: delivery.payload})
}

interface DeliveryRow {
  id: string
  type: WebhookType
  payload: unknown
  created_at: Date
  attempts: number
}

/**
 * Claims up to `limit` due rows for `leaseMs`: their next attempt moves that far ahead, so no other
 * sender takes them meanwhile, and if this one dies they are due again when it lapses. The attempt
 * is counted now (a sender killed mid-send has still made it). SKIP LOCKED: two senders claiming at
 * once take different rows instead of waiting for each other.
 */
export async function claimDue(db: Database, limit: number, leaseMs: number, claimant: string): Promise<ClaimedDelivery[]> {
  const {rows} = await db.raw<{rows: DeliveryRow[]}>(
    `UPDATE webhook_deliveries w SET next_attempt_at = now() + ?::float8 * interval '1 millisecond', attempts = w.attempts + 1, claimed_by = ?
     FROM (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED) due
     WHERE w.id = due.id
     RETURNING w.id::text, w.type, w.payload, w.created_at, w.attempts`,
    [leaseMs, claimant, limit],
  )
  return rows.map((r) => ({id: r.id, type: r.type, payload: r.payload, createdAt: r.created_at.toISOString(), attempts: r.attempts}))
}

/**
 * Records outcomes, in two statements at most. Only `pending` rows change: a row another sender
 * delivered after this one's claim lapsed stays delivered. A failure schedules the next attempt
 * `retryInMs` ahead, but never past give_up_at (so the last attempt is made then); a failure at or
 * past give_up_at leaves the row `failed`.
 */
export async function recordOutcomes(db: Database, outcomes: readonly DeliveryOutcome[]): Promise<void> {
  const delivered = outcomes.filter((o) => o.kind === 'delivered').map((o) => o.id)
  if (delivered.length > 0) {
    await db.raw(`UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL WHERE id = ANY(?::uuid[]) AND status = 'pending'`, [delivered])
  }
  const others = outcomes.filter((o) => o.kind !== 'delivered')
  if (others.length === 0) return
  await db.raw(
    `UPDATE webhook_deliveries w SET
       status = CASE WHEN r.released OR now() < w.give_up_at THEN 'pending' ELSE 'failed' END,
       attempts = w.attempts - r.released::int,
       last_error = CASE WHEN r.released THEN w.last_error ELSE r.error END,
       next_attempt_at = CASE WHEN r.released THEN now() ELSE least(now() + r.delay_ms * interval '1 millisecond', w.give_up_at) END
     FROM unnest(?::uuid[], ?::text[], ?::float8[], ?::boolean[]) AS r(id, error, delay_ms, released)
     WHERE w.id = r.id AND w.status = 'pending'`,
    [
      others.map((o) => o.id),
      others.map((o) => (o.kind === 'failed' ? o.error.slice(0, 500) : '')),
      others.map((o) => (o.kind === 'failed' ? o.retryInMs : 0)),
      others.map((o) => o.kind === 'released'),
    ],
  )
}

/** A row as `confio webhooks list` shows it. */
export interface DeliveryListing {
  readonly id: string
  readonly type: WebhookType
  readonly status: DeliveryStatus
  readonly attempts: number
  /** ISO 8601. */
  readonly createdAt: string
  readonly nextAttemptAt: string | null
  readonly deliveredAt: string | null
  readonly lastError: string | null
  /** What the event is about, in a few words: the digest or the drifting token. */
  readonly subject: string
}

/** The rows not delivered yet (or only the failed ones), oldest first, at most `limit`. */
export async function listDeliveries(db: Database, options: {failedOnly: boolean; limit: number}): Promise<DeliveryListing[]> {
  const {rows} = await db.raw<{rows: Record<string, unknown>[]}>(
    `SELECT id::text, type, status, attempts, created_at, next_attempt_at, delivered_at, last_error,
            coalesce(payload->>'digest', (payload->'account'->>'address') || ' ' || (payload->>'token')) AS subject
     FROM webhook_deliveries WHERE ${options.failedOnly ? `status = 'failed'` : `status <> 'delivered'`}
     ORDER BY created_at, id LIMIT ?`,
    [options.limit],
  )
  return rows.map((r) => ({
    id: r.id as string,
    type: r.type as WebhookType,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    createdAt: (r.created_at as Date).toISOString(),
    nextAttemptAt: r.status === 'pending' ? (r.next_attempt_at as Date).toISOString() : null,
    deliveredAt: r.delivered_at === null ? null : (r.delivered_at as Date).toISOString(),
    lastError: r.last_error as string | null,
    subject: (r.subject as string | null) ?? '',
  }))
}

/**
 * Makes rows due now: the failed ones (`ids` undefined) or those named (failed or pending; a
 * delivered one is sent again too, for a receiver that lost it), each with a new 24 h to go.
 * Returns the ids made due; the worker's sender sends them.
 */
export async function retryDeliveries(db: Database, ids: readonly string[] | undefined): Promise<string[]> {
  const {rows} = await db.raw<{rows: {id: string}[]}>(
    `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), attempts = 0, delivered_at = NULL, give_up_at = now() + interval '24 hours'
     WHERE ${ids === undefined ? `status = 'failed'` : `id = ANY(?::uuid[])`}
     RETURNING id::text`,
    ids === undefined ? [] : [[...ids]],
  )
  return rows.map((r) => r.id)
}

/** Of `ids`, those no row has (a malformed id included). */
export async function unknownDeliveries(db: Database, ids: readonly string[]): Promise<string[]> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
  const wellFormed = ids.filter((id) => uuid.test(id))
  const {rows} = await db.raw<{rows: {id: string}[]}>(`SELECT id::text FROM webhook_deliveries WHERE id = ANY(?::uuid[])`, [wellFormed])
  const known = new Set(rows.map((r) => r.id))
  return ids.filter((id) => !known.has(id.toLowerCase()))
}

/** What `confio status` shows of the webhooks. */
export interface WebhookBacklog {
  /** Rows waiting to be delivered (pending). */
  readonly pending: number
  /** Age of the oldest pending row, ms; null when none. */
  readonly oldestPendingMs: number | null
  readonly failed: number
}

export async function readWebhookBacklog(db: Database): Promise<WebhookBacklog> {
  const {rows} = await db.raw<{rows: {pending: string; oldest_ms: number | null; failed: string}[]}>(
    `SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS pending,
            (SELECT extract(epoch FROM now() - min(created_at)) * 1000 FROM webhook_deliveries WHERE status = 'pending')::float8 AS oldest_ms,
            (SELECT count(*) FROM webhook_deliveries WHERE status = 'failed') AS failed`,
  )
  const row = rows[0]!
  return {pending: Number(row.pending), oldestPendingMs: row.oldest_ms === null ? null : Math.round(row.oldest_ms), failed: Number(row.failed)}
}
