// The beat's tasks, what each one's job carries, and the one place a worker runs them. The
// original design's Celery beat ran refresh_stale_balances (5 min) and reconcile_all_balances
// (hourly) and cleaned raw events daily; confio adds the expiry of pending amounts.
//
//   refresh-stale-balances  stale balances read from the chain again      stale-balance-refresh.ts
//   reconcile               accounts not checked within the last interval  ../reconcile/reconciler.ts
//   expire-pending          pending amounts past their TTL released        pending-expiry.ts
//   cleanup                 raw events and processing log past retention   retention-cleanup.ts
//
// A task's error policy: a task that throws is recorded `failed` with its error and not retried;
// the next slot runs it again. Every task is idempotent, so a run that was cut short loses nothing.
import type {BalanceService} from '../balances/balance-service.ts'
import type {Logger} from '../logging/logger.ts'
import type {BeatJob} from '../queue/beat-queue.ts'
import type {ReconcileOptions, ReconcileReport} from '../reconcile/reconcile-report.ts'
import type {Database} from '../store/database.ts'
import type {TokenRegistry} from '../tokens/token-registry.ts'
import {expirePendingAmounts} from './pending-expiry.ts'
import {cleanupExpiredRows} from './retention-cleanup.ts'
import {refreshStaleBalances} from './stale-balance-refresh.ts'

export const BEAT_TASKS = ['refresh-stale-balances', 'reconcile', 'expire-pending', 'cleanup'] as const
export type BeatTaskName = (typeof BEAT_TASKS)[number]

/** Each task's settings, carried in its job (they come from the beat's flags). */
export interface BeatTaskParams {
  readonly 'refresh-stale-balances': {readonly limit: number}
  readonly reconcile: {readonly olderThanMs: number}
  readonly 'expire-pending': {readonly ttlMs: number}
  readonly cleanup: {readonly retentionMs: number}
}

/** One scheduled run as a worker receives it. */
export type BeatRunRequest = {[T in BeatTaskName]: {readonly task: T; readonly slotStart: Date; readonly params: BeatTaskParams[T]}}[BeatTaskName]

const PARAM_NAMES: {[T in BeatTaskName]: readonly (keyof BeatTaskParams[T])[]} = {
  'refresh-stale-balances': ['limit'],
  reconcile: ['olderThanMs'],
  'expire-pending': ['ttlMs'],
  cleanup: ['retentionMs'],
}

export function isBeatTask(name: string): name is BeatTaskName {
  return (BEAT_TASKS as readonly string[]).includes(name)
}

/** A job's data as a typed request; an Error naming what is wrong (a job from another version, say). */
export function parseBeatJob(job: Partial<BeatJob> | undefined): BeatRunRequest | Error {
  if (!job || typeof job.task !== 'string' || !isBeatTask(job.task)) return new Error(`not a beat task: ${JSON.stringify(job?.task)}`)
  const slotStart = new Date(job.slotStart ?? '')
  if (Number.isNaN(slotStart.getTime())) return new Error(`bad slot start ${JSON.stringify(job.slotStart)}`)
  const params: Record<string, number> = {}
  for (const name of PARAM_NAMES[job.task] as readonly string[]) {
    const value = job.params?.[name]
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return new Error(`${job.task}: bad ${name} ${JSON.stringify(value)}`)
    params[name] = value
  }
  return {task: job.task, slotStart, params} as BeatRunRequest
}

export interface TaskOutcome {
  readonly outcome: 'done' | 'failed'
  /** Small and countable: what beat_runs.detail keeps. */
  readonly detail: Readonly<Record<string, unknown>>
}

/** What the reconcile task needs of the Reconciler (src/reconcile/reconciler.ts). */
export interface ReconcileRunner {
  run(options: ReconcileOptions): Promise<ReconcileReport>
}

export interface BeatTaskRunnerOptions {
  readonly db: Database
  readonly balances: BalanceService
  readonly reconciler: ReconcileRunner
  readonly tokens: TokenRegistry
  readonly logger: Logger
  /** A task wrote balance_cache_outbox rows: the worker's relay sends them. */
  readonly onBalancesChanged?: () => void
  /** Rows per cleanup batch (default 5,000). */
  readonly cleanupBatchSize?: number
}

export class BeatTaskRunner {
  private readonly options: BeatTaskRunnerOptions

  constructor(options: BeatTaskRunnerOptions) {
    this.options = options
  }

  /** Runs one task to its end (or until `signal`); throws when it could not run. */
  async run(request: BeatRunRequest, signal: AbortSignal): Promise<TaskOutcome> {
    try {
      return await this.dispatch(request, signal)
    } finally {
      if (request.task !== 'cleanup') this.options.onBalancesChanged?.()
    }
  }

  private async dispatch(request: BeatRunRequest, signal: AbortSignal): Promise<TaskOutcome> {
    const {db, logger} = this.options
    switch (request.task) {
      case 'refresh-stale-balances': {
        const result = await refreshStaleBalances({db, balances: this.options.balances, tokens: this.options.tokens, limit: request.params.limit, logger, signal})
        // Every balance read failed: the chain is down, and the run should say so.
        const failed = result.selected > 0 && result.refreshed === 0 && result.failed > 0
        return {outcome: failed ? 'failed' : 'done', detail: {...result, ...(failed ? {error: `the chain did not answer for any of ${result.selected} stale balances`} : {})}}
      }
      case 'reconcile': {
        const report = await this.options.reconciler.run({trigger: 'beat', olderThanMs: request.params.olderThanMs, signal})
        const detail = {
          runId: report.runId,
          outcome: report.outcome,
          selected: report.selected,
          checked: report.checked,
          inFlight: report.inFlight.length,
          drift: report.drift.length,
          closed: report.closed,
          errors: report.errors.length,
          durationMs: report.durationMs,
        }
        if (report.drift.length > 0) logger.warn({drift: report.drift.length, runId: report.runId}, 'reconcile found balances that disagreed with the chain (corrected; see confio reconcile)')
        return report.outcome === 'errors' ? {outcome: 'failed', detail: {...detail, error: `${report.errors.length} of ${report.selected} accounts could not be read from the chain`}} : {outcome: 'done', detail}
      }
      case 'expire-pending':
        return {outcome: 'done', detail: {...(await expirePendingAmounts({db, ttlMs: request.params.ttlMs, logger, signal}))}}
      case 'cleanup': {
        const result = await cleanupExpiredRows({db, retentionMs: request.params.retentionMs, signal, ...(this.options.cleanupBatchSize ? {batchSize: this.options.cleanupBatchSize} : {})})
        return {outcome: 'done', detail: {...result}}
      }
    }
  }
}
