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
export async function insertRawEvents(trx: Database, events: readonly RawEventInput[]): Promise<string[]> {
  if (events.length === 0) return []
  const rows = await trx('raw_blockchain_events').insert(events.map(toRawEventRow)).onConflict('tx_digest').ignore().returning('tx_digest')
  return rows.map((row: {tx_digest: string}) => row.tx_digest)
}

export async function markQueued(db: Database, digests: readonly string[]): Promise<void> {
  if (digests.length === 0) return
  await db('raw_blockchain_events').whereIn('tx_digest', digests).update({queued_at: db.fn.now()})
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
    .where('id', '>', options.afterId)
    .andWhere((q) => q.whereNull('queued_at').orWhere('queued_at', '<', options.queuedBefore))
    .orderBy('id')
    .limit(options.limit)
  return rows.map((row) => ({id: String(row.id), digest: row.tx_digest, queued: row.queued_at !== null}))
}
