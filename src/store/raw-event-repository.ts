// raw_blockchain_events: every relevant transaction, as the chain described it, once per digest.
// It doubles as the outbox of the process-transaction queue: queued_at says a job was created,
// processed_at that a worker finished it.
import type {TransactionDetails} from '../chain/records.ts'
import type {Database} from './database.ts'

export interface RawEventInput {
  /** The transaction in full: `events` keeps each event's JSON, which the workers parse. */
  readonly tx: TransactionDetails
  readonly reasons: readonly string[]
}

export function toRawEventRow({tx, reasons}: RawEventInput) {
  return {
    tx_digest: tx.digest,
    checkpoint: tx.checkpoint.toString(),
    tx_index: tx.index,
    timestamp_ms: String(tx.timestampMs),
    sender: tx.sender,
    success: tx.status.success,
    execution_error: tx.status.success ? null : tx.status.error,
    move_calls: JSON.stringify(tx.moveCalls),
    events: JSON.stringify(tx.events),
    balance_changes: JSON.stringify(tx.balanceChanges.map((c) => ({address: c.address, coinType: c.coinType, amount: c.amount.toString()}))),
    gas_used: tx.gasUsed.toString(),
    gas_owner: tx.gasOwner,
    parse_error: tx.parseError ?? null,
    reasons: [...reasons],
  }
}

/** Inserts what is new; returns the digests inserted (a replayed checkpoint inserts nothing). */
/**
 * Rows per INSERT: a statement carries at most 65,535 parameters (PostgreSQL's wire protocol), and
 * a row takes 14; a batch of busy checkpoints can keep more rows than one statement can hold.
 */
const ROWS_PER_STATEMENT = 2_000

export async function insertRawEvents(trx: Database, events: readonly RawEventInput[]): Promise<string[]> {
  const inserted: string[] = []
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const rows = await trx('raw_blockchain_events').insert(events.slice(i, i + ROWS_PER_STATEMENT).map(toRawEventRow)).onConflict('tx_digest').ignore().returning('tx_digest')
    for (const row of rows as {tx_digest: string}[]) inserted.push(row.tx_digest)
  }
  return inserted
}

export async function markQueued(db: Database, digests: readonly string[]): Promise<void> {
  if (digests.length === 0) return
  // One array parameter, not a placeholder per digest: a busy batch marks thousands.
  await db('raw_blockchain_events').whereRaw('tx_digest = ANY(?::text[])', [[...digests]]).update({queued_at: db.fn.now()})
}

export interface UnprocessedEvent {
  readonly id: string
  readonly digest: string
  readonly queued: boolean
}

/** A page (by id, after `afterId`) of unprocessed events never queued or queued before `queuedBefore`. */
export async function unprocessedEvents(db: Database, options: {afterId: string; queuedBefore: Date; limit: number}): Promise<UnprocessedEvent[]> {
  const rows: {id: string; tx_digest: string; queued_at: Date | null}[] = await db('raw_blockchain_events')
    .select('id', 'tx_digest', 'queued_at')
    .whereNull('processed_at')
    // A transaction failed for good waits for an operator (confio worker --retry-failed), not for
    // Redis to be asked about it every sweep.
    .whereNotExists((q) => q.select(db.raw('1')).from('transaction_processing_log as l').whereRaw('l.tx_digest = raw_blockchain_events.tx_digest').where('l.status', 'failed'))
    .where('id', '>', options.afterId)
    .andWhere((q) => q.whereNull('queued_at').orWhere('queued_at', '<', options.queuedBefore))
    .orderBy('id')
    .limit(options.limit)
  return rows.map((row) => ({id: String(row.id), digest: row.tx_digest, queued: row.queued_at !== null}))
}
