// An account's history as the worker writes it (account_transactions: one row per transaction,
// token and direction), read newest first in pages. A page ends with a cursor naming the last row
// returned (its checkpoint and id); the next page starts strictly after it, so rows the worker adds
// meanwhile (newer checkpoints, or a history fill's older ones) never shift a page or repeat a row.
// The cursor is opaque to clients: base64url of `<checkpoint>.<id>`, checked on the way in.
import {UsageError} from '../errors.ts'
import type {Database} from '../store/database.ts'

export type Direction = 'sent' | 'received' | 'fee'

export interface HistoryEntry {
  readonly digest: string
  readonly token: string
  readonly direction: Direction
  /** Base units, never negative: `direction` says which way. */
  readonly amount: bigint
  readonly counterparty: string | null
  readonly checkpoint: bigint
  /** The checkpoint's time, when the chain reported it. */
  readonly timestamp: Date | null
}

export interface HistoryPage {
  readonly transactions: HistoryEntry[]
  /** Where the next page starts; null on the last page. */
  readonly nextCursor: string | null
}

/** A cursor the client sent that this code did not write (or altered). */
export class HistoryCursorError extends UsageError {}

export const HISTORY_PAGE_MAX = 500

interface HistoryRow {
  id: string
  tx_digest: string
  token: string
  direction: Direction
  amount: string
  counterparty: string | null
  checkpoint: string
  timestamp_ms: string | null
}

interface Position {
  readonly checkpoint: bigint
  readonly id: bigint
}

export class AccountHistory {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  /** Up to `limit` (1 to HISTORY_PAGE_MAX) entries of the account, newest first, after `cursor` if given. */
  async page(accountId: string, options: {limit: number; cursor?: string | undefined}): Promise<HistoryPage> {
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > HISTORY_PAGE_MAX) {
      throw new UsageError(`limit ${options.limit} is out of range`, {remedy: `ask for 1 to ${HISTORY_PAGE_MAX} entries`})
    }
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
    // One more row than asked says whether there is a next page.
    const {rows} = await this.db.raw<{rows: HistoryRow[]}>(
      `SELECT id::text, tx_digest, token, direction, amount::text, counterparty, checkpoint::text, timestamp_ms::text
       FROM account_transactions
       WHERE account_id = ? ${after ? 'AND (checkpoint, id) < (?::bigint, ?::bigint)' : ''}
       ORDER BY checkpoint DESC, id DESC
       LIMIT ?`,
      after ? [accountId, after.checkpoint.toString(), after.id.toString(), options.limit + 1] : [accountId, options.limit + 1],
    )
    const more = rows.length > options.limit
    const kept = rows.slice(0, options.limit)
    const last = kept.at(-1)
    return {
      transactions: kept.map(toEntry),
      nextCursor: more && last ? encodeCursor({checkpoint: BigInt(last.checkpoint), id: BigInt(last.id)}) : null,
    }
  }
}

function toEntry(row: HistoryRow): HistoryEntry {
  return {
    digest: row.tx_digest,
    token: row.token,
    direction: row.direction,
    amount: BigInt(row.amount),
    counterparty: row.counterparty,
    checkpoint: BigInt(row.checkpoint),
    timestamp: row.timestamp_ms === null ? null : new Date(Number(row.timestamp_ms)),
  }
}

function encodeCursor(position: Position): string {
  return Buffer.from(`${position.checkpoint}.${position.id}`).toString('base64url')
}

function decodeCursor(cursor: string): Position {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('latin1') : ''
  const match = /^(\d{1,19})\.(\d{1,19})$/.exec(text)
  if (!match) throw new HistoryCursorError('the cursor is not one this API returned', {remedy: 'pass nextCursor from the previous page unchanged, or leave it out for the first page'})
  return {checkpoint: BigInt(match[1] as string), id: BigInt(match[2] as string)}
}
