// ingest_cursors: the last checkpoint whose relevant transactions are committed, per follower.
// The cursor moves only inside the transaction that stores the data it covers, and only from
// the value the follower last saw (compare-and-set), and only while the writer still holds its
// lease (the fence, checked in the same transaction): a poller that lost its lease without knowing
// it (stopped, paused, cut off) writes nothing, even before the new holder has moved the cursor.
import {ConfigError, RuntimeFailure} from '../errors.ts'
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

/**
 * Checked inside the transaction that moves the cursor, before it moves: throws when the writer may
 * no longer write (its lease was taken over or expired), which rolls the whole transaction back.
 * The lease owns its check (lease.ts); the store only runs it in the right place.
 */
export type CommitFence = (trx: Database) => Promise<void>

export interface AdvanceOptions {
  /** Recorded with a cursor created here: the chain it follows. */
  readonly chainId?: string | undefined
  readonly fence?: CommitFence | undefined
}

/**
 * Moves the cursor from `expected` (undefined: not created yet) to `next`, or throws. `trx` must be
 * the transaction that stores what the cursor covers; the fence runs in it first.
 */
export async function advanceCursor(trx: Database, name: string, expected: bigint | undefined, next: bigint, options: AdvanceOptions = {}): Promise<void> {
  const {chainId, fence} = options
  if (fence) await fence(trx)
  if (expected === undefined) {
    const inserted = await trx('ingest_cursors').insert({name, checkpoint: next.toString(), updated_at: trx.fn.now(), chain_id: chainId ?? null}).onConflict('name').ignore().returning('name')
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

/**
 * The node must serve the chain this database's cursor follows. A cursor that has none recorded yet
 * (made by --reset-cursor, or by a confio that did not record it) takes this one when `record`.
 */
export async function checkCursorChain(db: Database, name: string, node: {chainId: string; chain: string}, options: {record: boolean}): Promise<void> {
  const row = await db('ingest_cursors').where({name}).first('chain_id')
  if (!row) return
  if (row.chain_id === null) {
    if (options.record) await db('ingest_cursors').where({name}).whereNull('chain_id').update({chain_id: node.chainId})
    return
  }
  if (row.chain_id !== node.chainId) {
    throw new ConfigError(
      'SUI_GRPC_URL',
      `the node serves chain ${node.chainId} (${node.chain}), but this database follows chain ${row.chain_id}`,
      {remedy: `point SUI_GRPC_URL at a node of chain ${row.chain_id}, or DATABASE_URL at a database of chain ${node.chainId}`},
    )
  }
}
