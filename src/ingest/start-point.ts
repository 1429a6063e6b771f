// Where a poller starts following: right after the cursor, or, on its very first start, at
// --from-checkpoint or the tip. The node must serve the chain the cursor belongs to (checked, and
// recorded with a first cursor), and a node whose tip is behind the cursor (a restarted local
// node, a provider replica that lags) has nothing the poller needs yet: it is said so and waited
// on, never taken for "caught up"; with --once the wait has a deadline.
import type {ChainReader, ServiceInfo} from '../chain/index.ts'
import {RuntimeFailure} from '../errors.ts'
import type {Logger} from '../logging/logger.ts'
import type {Database} from '../store/database.ts'
import {checkCursorChain, readCursor} from '../store/ingest-cursor.ts'
import {pause} from '../support/pause.ts'

export interface StartPointOptions {
  readonly db: Database
  readonly chain: ChainReader
  readonly cursorName: string
  /** Where to start when there is no cursor yet (default: the tip). */
  readonly fromCheckpoint?: bigint | undefined
  /** Catch up to the tip seen at start, then return. */
  readonly once: boolean
  readonly intervalMs: number
  /** With once: how long to wait for a node that is behind the cursor before giving up (default 30 s). */
  readonly nodeBehindWaitMs?: number | undefined
  readonly logger: Logger
}

export interface StartPoint {
  /** The first checkpoint to read. */
  readonly start: bigint
  /** The cursor as read (undefined: none yet). */
  readonly cursor: bigint | undefined
  /** The node's tip as last seen. */
  readonly tip: bigint
  /** With once: the last checkpoint to read. */
  readonly stopAfter: bigint | undefined
  /** The chain the node serves. */
  readonly chainId: string
}

export async function startPoint(options: StartPointOptions, signal: AbortSignal): Promise<StartPoint> {
  const {db, chain, cursorName, fromCheckpoint, once, logger} = options
  const cursor = await readCursor(db, cursorName)
  let info = await chain.serviceInfo({signal})
  await checkCursorChain(db, cursorName, info, {record: true})
  const {chainId} = info
  if (cursor !== undefined && info.checkpointHeight < cursor) info = await waitForNode(options, cursor, info, signal)
  if (cursor !== undefined && fromCheckpoint !== undefined) {
    logger.warn({cursor: cursor.toString(), fromCheckpoint: fromCheckpoint.toString()}, '--from-checkpoint ignored: a cursor exists and polling resumes from it (move it with --reset-cursor)')
  }
  const tip = info.checkpointHeight
  const start = cursor !== undefined ? cursor + 1n : (fromCheckpoint ?? tip)
  logger.info({start: start.toString(), cursor: cursor?.toString() ?? null, once}, cursor === undefined ? 'no cursor yet; starting' : 'resuming after the cursor')
  return {start, cursor, tip, stopAfter: once ? tip : undefined, chainId}
}

/** Waits for a node behind the cursor to reach it; a stop ends the wait (the follower then sees the signal). */
async function waitForNode(options: StartPointOptions, cursor: bigint, first: ServiceInfo, signal: AbortSignal): Promise<ServiceInfo> {
  const {chain, once, logger, intervalMs} = options
  const deadline = Date.now() + (options.nodeBehindWaitMs ?? 30_000)
  let info = first
  let said = 0
  while (info.checkpointHeight < cursor) {
    const message = `the node is at checkpoint ${info.checkpointHeight}, behind this database's cursor ${cursor}`
    if (once && Date.now() > deadline) {
      throw new RuntimeFailure(message, {code: 'NODE_BEHIND_CURSOR', remedy: `point SUI_GRPC_URL at a node that has checkpoint ${cursor + 1n}, or wait for this one`})
    }
    if (Date.now() - said >= 30_000) {
      logger.warn({node: info.checkpointHeight.toString(), cursor: cursor.toString()}, `${message} (a restarted node, or a replica that lags): waiting for it`)
      said = Date.now()
    }
    // A stop while waiting ends the run as any stop does (the stages see the signal).
    await pause(intervalMs, signal)
    if (signal.aborted) return info
    info = await chain.serviceInfo({signal})
  }
  logger.info({node: info.checkpointHeight.toString(), cursor: cursor.toString()}, 'the node has reached the cursor')
  return info
}
