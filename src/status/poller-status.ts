// The poller's part of the status: who holds the lease, where the cursor is and when it last
// moved, and, only when asked, how far behind the chain's tip it is.
import type {ChainReader} from '../chain/index.ts'
import {translateError} from '../error-translation.ts'
import {messageOf} from '../errors.ts'
import type {Database} from '../store/database.ts'
import {readLeaseHolder} from '../store/lease-holder.ts'
import type {ChainStatus, CursorStatus, PollerStatus} from './status-report.ts'

/** The chain calls status makes with --chain. */
export type StatusChain = Pick<ChainReader, 'serviceInfo' | 'checkpoint'>

export async function readPollerStatus(db: Database, cursorName: string, chain: StatusChain | undefined): Promise<PollerStatus> {
  const [holder, cursor] = await Promise.all([readLeaseHolder(db, cursorName), readCursorStatus(db, cursorName)])
  return {lease: {holder}, cursor, chain: chain ? await readChainStatus(chain, cursor) : null}
}

async function readCursorStatus(db: Database, name: string): Promise<CursorStatus | null> {
  const {rows} = await db.raw<{rows: {checkpoint: string; updated_at: Date; age_ms: number}[]}>(
    `SELECT checkpoint, updated_at, round(extract(epoch FROM now() - updated_at) * 1000)::float8 AS age_ms FROM ingest_cursors WHERE name = ?`,
    [name],
  )
  const row = rows[0]
  return row ? {name, checkpoint: BigInt(row.checkpoint), updatedAt: row.updated_at.toISOString(), ageMs: row.age_ms} : null
}

/**
 * The tip from one GetServiceInfo, and the lag in seconds from the timestamps of the tip and of the
 * cursor's checkpoint (one GetCheckpoint, only when behind). A chain that does not answer is a
 * reading, not a failure of the command.
 */
async function readChainStatus(chain: StatusChain, cursor: CursorStatus | null): Promise<ChainStatus> {
  try {
    const info = await chain.serviceInfo()
    const lagCheckpoints = cursor ? info.checkpointHeight - cursor.checkpoint : null
    let lagMs: number | null = null
    if (lagCheckpoints !== null && lagCheckpoints <= 0n) lagMs = 0
    else if (cursor) lagMs = await chain.checkpoint(cursor.checkpoint).then((c) => Math.max(0, info.timestampMs - c.timestampMs), () => null)
    return {
      available: true,
      tip: info.checkpointHeight,
      tipTimestamp: new Date(info.timestampMs).toISOString(),
      lowestAvailableCheckpoint: info.lowestAvailableCheckpoint,
      lagCheckpoints,
      lagMs,
    }
  } catch (error) {
    // The translated message drops grpc-js's wrapping (a dangling "Resolution note: ").
    return {available: false, error: translateError(error)?.message ?? messageOf(error)}
  }
}
