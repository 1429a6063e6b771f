// `confio status`: the on-call engineer's one screen, read from PostgreSQL and Redis alone (the
// chain only when asked). Every section is read at once; Redis or the chain not answering is part
// of the reading, PostgreSQL not answering fails the whole (it holds everything else).
import type {Database} from '../store/database.ts'
import {alarmsOf} from './alarms.ts'
import {type NextBeatRun, readBeatStatus} from './beat-status.ts'
import {readBalanceStatus} from './balance-status.ts'
import {readPollerStatus, type StatusChain} from './poller-status.ts'
import {readProcessingStatus} from './processing-status.ts'
import type {QueueProbe} from './queue-status.ts'
import type {StatusReport, StatusThresholds} from './status-report.ts'

export interface StatusSources {
  readonly db: Database
  readonly queues: QueueProbe
  /** The cursor the poller follows (and its lease's name). */
  readonly cursorName: string
  /** Given only with --chain: nothing else here calls the chain. */
  readonly chain?: StatusChain
  /** The beat's schedule, when there is one to tell the next runs from. */
  readonly nextBeatRun?: NextBeatRun
}

export async function gatherStatus(sources: StatusSources, thresholds: StatusThresholds): Promise<StatusReport> {
  const {db} = sources
  const checkedAt = new Date()
  const [poller, queue, processing, balances, beat] = await Promise.all([
    readPollerStatus(db, sources.cursorName, sources.chain),
    sources.queues.read(),
    readProcessingStatus(db),
    readBalanceStatus(db),
    readBeatStatus(db, sources.nextBeatRun),
  ])
  const reading = {checkedAt: checkedAt.toISOString(), thresholds, poller, queue, processing, balances, beat}
  const alarms = alarmsOf(reading, thresholds, checkedAt.getTime())
  return {...reading, alarms, healthy: alarms.length === 0}
}

export {QueueProbe} from './queue-status.ts'
export type * from './status-report.ts'
