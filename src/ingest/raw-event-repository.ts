// raw_blockchain_events: every relevant transaction, as the chain described it, once per digest.
// It doubles as the outbox of the process-transaction queue: every row without processed_at should
// have a job in Redis until a worker finishes it (src/queue/outbox.ts).
import type {TransactionDetails} from '../chain/index.ts'
import type {Database} from '../store/database.ts'

export interface RawEventInput {
  /** The transaction in full: `events` keeps each event's JSON, which the workers parse. */
  readonly tx: TransactionDetails
  readonly reasons: readonly string[]
}

/** A row as JSON takes it: amounts as strings, the JSON columns as values. */
function toRawEventRow({tx, reasons}: RawEventInput) {
  return {
    tx_digest: tx.digest,
    checkpoint: tx.checkpoint.toString(),
    tx_index: tx.index,
    timestamp_ms: String(tx.timestampMs),
    sender: tx.sender,
    success: tx.status.success,
    execution_error: tx.status.success ? null : tx.status.error,
    move_calls: tx.moveCalls,
    events: tx.events,
    balance_changes: tx.balanceChanges.map((c) => ({address: c.address, coinType: c.coinType, amount: c.amount.toString()})),
    gas_used: tx.gasUsed.toString(),
    gas_owner: tx.gasOwner,
    parse_error: tx.parseError ?? null,
    reasons,
  }
}

// The rows go as one JSON parameter that PostgreSQL unpacks (jsonb_to_recordset), not as a
// placeholder per value: a batch at 10% relevant keeps thousands of rows, and building, sending
// and parsing 14 parameters each was a large part of both the poller's and PostgreSQL's CPU.
// jsonb, not json: the document is parsed once, where json_to_recordset parses each jsonb
// column's text a second time (about a quarter of the statement's time).
const COLUMNS = 'tx_digest, checkpoint, tx_index, timestamp_ms, sender, success, execution_error, move_calls, events, balance_changes, gas_used, gas_owner, parse_error, reasons'
const RECORD =
  'tx_digest text, checkpoint bigint, tx_index integer, timestamp_ms bigint, sender text, success boolean, execution_error text, ' +
  'move_calls jsonb, events jsonb, balance_changes jsonb, gas_used numeric, gas_owner text, parse_error text, reasons text[]'
/** Rows per INSERT: bounds one statement's JSON to a few megabytes. */
const ROWS_PER_STATEMENT = 2_000

/** Inserts what is new; returns the digests inserted (a replayed checkpoint inserts nothing). */
export async function insertRawEvents(trx: Database, events: readonly RawEventInput[]): Promise<string[]> {
  const inserted: string[] = []
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const rows = JSON.stringify(events.slice(i, i + ROWS_PER_STATEMENT).map(toRawEventRow))
    const {rows: stored} = await trx.raw<{rows: {tx_digest: string}[]}>(
      `INSERT INTO raw_blockchain_events (${COLUMNS}) SELECT ${COLUMNS} FROM jsonb_to_recordset(?::jsonb) AS r(${RECORD})
       ON CONFLICT (tx_digest) DO NOTHING RETURNING tx_digest`,
      [rows],
    )
    for (const row of stored) inserted.push(row.tx_digest)
  }
  return inserted
}

export interface UnprocessedEvent {
  readonly id: string
  readonly digest: string
}

/** A page (by id, after `afterId`) of unprocessed events stored before `storedBefore`. */
export async function unprocessedEvents(db: Database, options: {afterId: string; storedBefore: Date; limit: number}): Promise<UnprocessedEvent[]> {
  const rows: {id: string; tx_digest: string}[] = await db('raw_blockchain_events')
    .select('id', 'tx_digest')
    .whereNull('processed_at')
    // A transaction failed for good waits for an operator (confio worker --retry-failed), not for
    // Redis to be asked about it every sweep.
    .whereNotExists((q) => q.select(db.raw('1')).from('transaction_processing_log as l').whereRaw('l.tx_digest = raw_blockchain_events.tx_digest').where('l.status', 'failed'))
    .where('id', '>', options.afterId)
    .andWhere('created_at', '<', options.storedBefore)
    .orderBy('id')
    .limit(options.limit)
  return rows.map((row) => ({id: String(row.id), digest: row.tx_digest}))
}

/**
 * A stored transaction `e` that waits to be processed: not processed, and not failed for good (that
 * one waits for an operator, not a worker; reconcile's pipeline state counts the same ones).
 */
export const WAITING_EVENT = `e.processed_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM transaction_processing_log l WHERE l.tx_digest = e.tx_digest AND l.status = 'failed')`
const WAITING = `FROM raw_blockchain_events e WHERE ${WAITING_EVENT}`

/** The age, by PostgreSQL's clock, of the oldest waiting transaction (by id: the unprocessed index from its start). */
const OLDEST_AGE_MS = `SELECT round(extract(epoch FROM now() - e.created_at) * 1000)::float8 AS age_ms ${WAITING} ORDER BY e.id LIMIT 1`

/**
 * How long the oldest waiting transaction has been stored (PostgreSQL's clock); null when none
 * waits. Walks the unprocessed index from its start, past the failed-for-good rows at its head.
 */
export async function oldestWaitingAgeMs(db: Database): Promise<number | null> {
  const {rows} = await db.raw<{rows: {age_ms: number}[]}>(OLDEST_AGE_MS)
  return rows[0]?.age_ms ?? null
}

/** How many transactions wait to be processed, and how long the oldest has (null when none does), in one statement. */
export async function waitingBacklog(db: Database): Promise<{count: number; oldestAgeMs: number | null}> {
  const {rows} = await db.raw<{rows: {count: number; age_ms: number | null}[]}>(`SELECT (SELECT count(*)::int ${WAITING}) AS count, (${OLDEST_AGE_MS}) AS age_ms`)
  return {count: rows[0]?.count ?? 0, oldestAgeMs: rows[0]?.age_ms ?? null}
}
