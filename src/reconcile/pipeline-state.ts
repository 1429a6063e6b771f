// What the pipeline has done, as far as a reading's accounts go: how far the poller's cursor is,
// and per address its earliest stored transaction still to be processed. A transaction that
// failed for good is not waiting: it will never be processed, and marked the balances it names
// stale instead (a refresh settles them), so it must not keep an account in flight for ever.
import {WAITING_EVENT} from '../ingest/raw-event-repository.ts'
import type {Database} from '../store/database.ts'
import {readCursor} from '../store/ingest-cursor.ts'
import {pause} from '../support/pause.ts'
import type {Reading} from './account-reading.ts'

export interface PipelineState {
  /** The poller's cursor; undefined before its first checkpoint. */
  readonly cursor: bigint | undefined
  /** Per address, the checkpoint of its earliest stored transaction still unprocessed. */
  readonly unprocessed: Map<string, bigint>
}

export async function readPipelineState(db: Database, cursorName: string, addresses: string[]): Promise<PipelineState> {
  const cursor = await readCursor(db, cursorName)
  const {rows} = await db.raw<{rows: {address: string; checkpoint: string}[]}>(
    `SELECT x.address, min(e.checkpoint)::text AS checkpoint
     FROM raw_blockchain_events e
     CROSS JOIN LATERAL (
       SELECT c->>'address' AS address FROM jsonb_array_elements(e.balance_changes) c
       UNION SELECT e.sender UNION SELECT e.gas_owner
     ) x
     WHERE x.address = ANY(?::text[]) AND ${WAITING_EVENT}
     GROUP BY x.address`,
    [addresses],
  )
  return {cursor, unprocessed: new Map(rows.map((r) => [r.address, BigInt(r.checkpoint)]))}
}

/** Waits (at most settleMs) until the cursor passes the windows read and those accounts' transactions are processed. */
export async function waitForPipeline(db: Database, cursorName: string, readings: readonly Reading[], settleMs: number, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + settleMs
  const highest = readings.reduce((max, r) => (r.window.to > max ? r.window.to : max), 0n)
  const addresses = readings.map((r) => r.account.address)
  while (Date.now() < deadline && !signal?.aborted) {
    const {cursor, unprocessed} = await readPipelineState(db, cursorName, addresses)
    if (cursor !== undefined && cursor >= highest && readings.every((r) => (unprocessed.get(r.account.address) ?? highest + 1n) > r.window.to)) return
    await pause(200, signal)
  }
}
