// The beat as `confio beat` and `confio run` assemble it: its lease and its plan, from the beat
// flags (cli/pipeline-flags.ts).
import {beatLease} from '../beat/beat-lease.ts'
import {BeatScheduler, type PlannedTask} from '../beat/beat-scheduler.ts'
import type {BeatTaskName} from '../beat/beat-tasks.ts'
import type {BeatQueue} from '../queue/beat-queue.ts'
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

export function createBeatScheduler(parts: ProcessParts & {queue: BeatQueue}, flags: BeatFlagValues & {once: boolean}): BeatScheduler {
  return new BeatScheduler({
    db: parts.db,
    queue: parts.queue,
    lease: beatLease(parts.settings.databaseUrl),
    plan: beatPlan(flags),
    once: flags.once,
    logger: parts.logger,
  })
}
