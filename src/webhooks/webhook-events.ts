// What an event is and how it is queued: the statements that add webhook_deliveries rows, each a
// part of the statement that writes what the event announces (the worker's history rows, a drift
// record reconcile opens), so the event is committed exactly when its row is (an outbox: the
// sender delivers what was committed, at least once, and nothing that was rolled back).
//
// The body a receiver gets is {id, type, createdAt, data}; `data` is built here, in SQL, from the
// rows just written, so the worker adds no round trip: one INSERT ... SELECT per statement, only
// when WEBHOOK_URL is set. Amounts are strings of base units (signed for a transaction: `sent` and
// `fee` negative), checkpoints strings, times ISO 8601 UTC.

export type WebhookType = 'account.transaction' | 'balance.drift'

/** A timestamptz expression as ISO 8601 UTC with ms, in SQL. */
function isoOf(timestamp: string): string {
  return `to_char(${timestamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
}

/** Milliseconds since the epoch (a bigint column) as isoOf writes them. */
function isoOfMs(column: string): string {
  return isoOf(`to_timestamp(${column} / 1000.0)`)
}

/** The account as every event names it. */
const ACCOUNT = `jsonb_build_object('id', a.id::text, 'email', a.email, 'address', a.sui_address)`

/**
 * The INSERT, for a CTE of the worker's effects statement, of one `account.transaction` event per
 * history row inserted. It reads three CTEs of that statement by name:
 *   - `history`: the account_transactions rows inserted (RETURNING id, account_id, tx_digest,
 *     token, direction, amount, counterparty, checkpoint, timestamp_ms);
 *   - `balance`: the balances rows it updated (RETURNING account_id, token, amount, is_stale,
 *     counted_after: the last checkpoint the row's base holds, seen_before: its seen_checkpoint
 *     before the statement);
 *   - `changes`: the batch's balance changes (account_id, token, checkpoint, tx_digest).
 * `balanceAfter` is the balance right after the transaction where confio knows it exactly: the row
 * is exact after the statement (not stale), counted this transaction (after its base), had counted
 * nothing at or after the transaction's checkpoint before, and the batch has no other transaction
 * of that balance in the same checkpoint (the order within one is not known); then it is the row's
 * new amount less the batch's later changes of it. Otherwise null.
 */
export function transactionEventsInsert(): string {
  return `
        INSERT INTO webhook_deliveries (source, type, payload)
        SELECT 'account_transactions:' || h.id, 'account.transaction', jsonb_build_object(
          'account', ${ACCOUNT},
          'digest', h.tx_digest,
          'checkpoint', h.checkpoint::text,
          'timestamp', CASE WHEN h.timestamp_ms IS NULL THEN NULL ELSE ${isoOfMs('h.timestamp_ms')} END,
          'token', h.token,
          'amount', CASE WHEN h.direction = 'received' OR h.amount = 0 THEN h.amount::text ELSE '-' || h.amount::text END,
          'direction', h.direction,
          'counterparty', h.counterparty,
          'balanceAfter', CASE WHEN NOT bl.is_stale AND h.checkpoint > bl.counted_after AND coalesce(bl.seen_before, -1) < h.checkpoint
              AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.account_id = h.account_id AND c.token = h.token AND c.checkpoint = h.checkpoint AND c.tx_digest <> h.tx_digest)
            THEN (bl.amount - coalesce((SELECT sum(c.amount) FROM changes c WHERE c.account_id = h.account_id AND c.token = h.token AND c.checkpoint > h.checkpoint), 0))::text END)
        FROM history h JOIN accounts a ON a.id = h.account_id
        LEFT JOIN balance bl ON bl.account_id = h.account_id AND bl.token = h.token
        ORDER BY h.id
        ON CONFLICT (source) DO NOTHING`
}

/**
 * The INSERT, after a CTE `drift` of balance_drift rows written (RETURNING id, account_id, token,
 * cached_amount, chain_amount, difference, chain_checkpoint, first_seen, opened: whether the row
 * was inserted rather than counted again), of one `balance.drift` event per record opened.
 */
export function driftEventsInsert(): string {
  return `
        INSERT INTO webhook_deliveries (source, type, payload)
        SELECT 'balance_drift:' || d.id, 'balance.drift', jsonb_build_object(
          'account', ${ACCOUNT},
          'token', d.token,
          'cached', d.cached_amount::text,
          'chain', d.chain_amount::text,
          'difference', d.difference::text,
          'checkpoint', d.chain_checkpoint::text,
          'firstSeen', ${isoOf('d.first_seen')})
        FROM drift d JOIN accounts a ON a.id = d.account_id
        WHERE d.opened
        ON CONFLICT (source) DO NOTHING`
}
