// `confio status`: the on-call engineer's one screen, read from PostgreSQL and Redis alone (the
// chain only when asked). Every section is read at once; Redis or the chain not answering is part
// of the reading, PostgreSQL not answering fails the whole (it holds everything else).
import type {Redis} from 'ioredis'
import type {Database} from '../store/database.ts'
import {alarmsOf} from './alarms.ts'
import {readBeatStatus} from './beat-status.ts'
import {readBalanceStatus} from './balance-status.ts'
import {readPollerStatus, type StatusChain} from './poller-status.ts'
import {readPipelineStatus} from './pipeline-status.ts'
import {readProcessingStatus} from './processing-status.ts'
import type {QueueProbe} from './queue-status.ts'
import type {StatusReport, StatusThresholds} from './status-report.ts'
import {readWebhookBacklog} from '../webhooks/webhook-deliveries.ts'

export interface StatusSources {
  readonly db: Database
  readonly queues: QueueProbe
  /** The command's Redis client, opened on first use (throws when Redis does not answer), and the prefix of confio's keys. */
  readonly redis: () => Promise<Redis>
  readonly redisPrefix: string
  /** The cursor the poller follows (and its lease's name). */
  readonly cursorName: string
  /** Given only with --chain: nothing else here calls the chain. */
  readonly chain?: StatusChain
}

export async function gatherStatus(sources: StatusSources, thresholds: StatusThresholds): Promise<StatusReport> {
  const {db} = sources
  const checkedAt = new Date()
  const queueReading = sources.queues.read()
  // The pipeline's keys are read once the queue's reading has opened Redis (two openings at once
  // would leave one open), and not at all when it found Redis away: waiting on it twice tells nothing more.
  const redis = async () => {
    const reading = await queueReading
    if (!reading.available) throw new Error(reading.error)
    return sources.redis()
  }
  const [poller, queue, processing, pipeline, balances, beat, webhooks] = await Promise.all([
    readPollerStatus(db, sources.cursorName, sources.chain),
    queueReading,
    readProcessingStatus(db),
    readPipelineStatus(db, redis, sources.redisPrefix),
    readBalanceStatus(db),
    readBeatStatus(db),
    readWebhookBacklog(db),
  ])
  const reading = {checkedAt: checkedAt.toISOString(), thresholds, poller, queue, processing, pipeline, balances, beat, webhooks}
  const alarms = alarmsOf(reading, thresholds, checkedAt.getTime())
  return {...reading, alarms, healthy: alarms.length === 0}
}

export {QueueProbe} from './queue-status.ts'
export type * from './status-report.ts'
