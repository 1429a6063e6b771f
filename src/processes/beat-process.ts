// The beat as `confio beat` and `confio run` assemble it: its lease and its plan, from the beat
// flags (cli/pipeline-flags.ts), and, with a metrics server, the pipeline's state as metrics.
import {beatLease} from '../beat/beat-lease.ts'
import {BeatScheduler, type PlannedTask} from '../beat/beat-scheduler.ts'
import type {BeatTaskName} from '../beat/beat-tasks.ts'
import {slotLength} from '../beat/beat-schedule.ts'
import {registerBeatMetrics, registerOutboxMetrics, registerQueueMetrics} from '../metrics/pipeline-metric-families.ts'
import {watchLease} from '../metrics/lease-metric-families.ts'
import type {MetricsServer} from '../metrics/metrics-server.ts'
import type {BeatQueue} from '../queue/beat-queue.ts'
import type {TransactionQueue} from '../queue/transaction-queue.ts'
import type {Lease} from '../store/lease.ts'
import type {ProcessParts} from './process-parts.ts'

/** The beat flags' values. */
export interface BeatFlagValues {
  'refresh-every': number
  'refresh-limit': number
  'reconcile-every': number
  'expire-every': number
  'pending-ttl': number
  'cleanup-at': number
  retention: number
  task?: BeatTaskName[] | undefined
}

/** What the beat schedules with these flags: every task, or those named by --task. */
export function beatPlan(flags: BeatFlagValues): PlannedTask[] {
  const plan: PlannedTask[] = [
    {task: 'refresh-stale-balances', schedule: {everyMs: flags['refresh-every']}, params: {limit: flags['refresh-limit']}},
    // Accounts checked within one interval are skipped, so each is compared about once per interval.
    {task: 'reconcile', schedule: {everyMs: flags['reconcile-every']}, params: {olderThanMs: flags['reconcile-every']}},
    {task: 'expire-pending', schedule: {everyMs: flags['expire-every']}, params: {ttlMs: flags['pending-ttl']}},
    {task: 'cleanup', schedule: {dailyAtMinute: flags['cleanup-at']}, params: {retentionMs: flags.retention}},
  ]
  const only = flags.task && flags.task.length > 0 ? new Set(flags.task) : undefined
  return only ? plan.filter((p) => only.has(p.task)) : plan
}

/**
 * `transactions`: the process-transaction queue's producer side, counted beside the beat queue in
 * the metrics (with a metrics server only).
 */
export function createBeatScheduler(parts: ProcessParts & {queue: BeatQueue; transactions?: TransactionQueue | undefined}, flags: BeatFlagValues & {once: boolean}): BeatScheduler {
  const lease = beatLease(parts.settings.databaseUrl)
  const plan = beatPlan(flags)
  if (parts.metrics) beatMetrics(parts.metrics, parts, lease, plan)
  return new BeatScheduler({
    db: parts.db,
    queue: parts.queue,
    lease,
    plan,
    once: flags.once,
    logger: parts.logger,
  })
}

/**
 * The beat's view of the pipeline for /metrics: its lease, each planned task's interval, last run
 * and success, drift, the last reconcile, the queues and the outboxes (read at scrape time).
 */
function beatMetrics(server: MetricsServer, parts: ProcessParts & {queue: BeatQueue; transactions?: TransactionQueue | undefined}, lease: Lease, plan: readonly PlannedTask[]): void {
  const {registry} = server
  watchLease(registry, 'beat', lease)
  registerBeatMetrics(registry, parts.db, plan.map(({task, schedule}) => ({task, intervalMs: slotLength(schedule)})))
  registerOutboxMetrics(registry, parts.db)
  registerQueueMetrics(registry, parts.transactions ? [parts.transactions, parts.queue] : [parts.queue])
}
