// ingest_cursors: the last checkpoint whose relevant transactions are committed, per follower.
// The cursor moves only inside the transaction that stores the data it covers, and only from
// the value the follower last saw (compare-and-set): a second poller that lost its lease without
// knowing it cannot move the cursor under the active one.
import {RuntimeFailure} from '../errors.ts'
import type {Database} from './database.ts'

export class CursorMovedError extends RuntimeFailure {
  constructor(name: string, expected: bigint | undefined) {
    super(`cursor ${name} is no longer at ${expected ?? 'its start'}: another poller moved it`, {
      code: 'CURSOR_MOVED',
      remedy: 'run one active poller per database; this one stops so its standby can take over',
    })
  }
}

export async function readCursor(db: Database, name: string): Promise<bigint | undefined> {
  const row = await db('ingest_cursors').where({name}).first('checkpoint')
  return row ? BigInt(row.checkpoint) : undefined
}

/** Moves the cursor from `expected` (undefined: not created yet) to `next`, or throws. */
export async function advanceCursor(trx: Database, name: string, expected: bigint | undefined, next: bigint): Promise<void> {
  if (expected === undefined) {
    const inserted = await trx('ingest_cursors').insert({name, checkpoint: next.toString(), updated_at: trx.fn.now()}).onConflict('name').ignore().returning('name')
    if (inserted.length === 1) return
  } else {
    const updated = await trx('ingest_cursors').where({name, checkpoint: expected.toString()}).update({checkpoint: next.toString(), updated_at: trx.fn.now()})
    if (updated === 1) return
  }
  throw new CursorMovedError(name, expected)
}

/** An operator's explicit move (`confio poll --reset-cursor`). */
export async function setCursor(db: Database, name: string, checkpoint: bigint): Promise<void> {
  await db('ingest_cursors')
    .insert({name, checkpoint: checkpoint.toString(), updated_at: db.fn.now()})
    .onConflict('name')
    .merge()
}
