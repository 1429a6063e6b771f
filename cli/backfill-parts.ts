// What `confio backfill` and `accounts add/import --backfill-*` share: the flags that say where a
// backfill starts, and running one with its progress (live: cli/render/backfill-progress.ts) and a one-line summary (BackfillCommand,
// the base of those commands).
import {type Command, Flags} from '@oclif/core'
import {isStopOf, messageOf, RuntimeFailure, UsageError} from '../src/errors.ts'
import {AccountBackfill, type BackfillAccount, type BackfillReport, type BackfillStart} from '../src/ingest/account-backfill.ts'
import type {FillProgress, FillSource} from '../src/ingest/history-fill.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'
import {counted} from '../src/support/counted.ts'
import {formatDuration} from '../src/support/durations.ts'
import {ConfioCommand} from './base-command.ts'
import {checkpointFlag, durationFlag} from './durations.ts'
import {BACKFILL_STEPS, backfillProgress} from './render/backfill-progress.ts'
import {withSteps} from './step-list.ts'

export const backfillSourceFlag = Flags.option({
  options: ['auto', 'list', 'scan'] as const,
  default: 'auto' as const,
  summary: "Where the history is read: the node's ListTransactions (list), a scan of the checkpoints (scan), or list where the node serves it (auto).",
})()

export const backfillCheckpointFlag = checkpointFlag({summary: 'Backfill from this checkpoint.'})
export const backfillSinceFlag = durationFlag({summary: 'Backfill this far back from now (e.g. 30d).'})

/** A checkpoint flag or a duration flag as a BackfillStart (undefined: neither given). */
export function backfillStart(given: {checkpoint?: bigint | undefined; sinceMs?: number | undefined}, names: {checkpoint: string; since: string}): BackfillStart | undefined {
  if (given.checkpoint !== undefined && given.sinceMs !== undefined) {
    throw new UsageError(`--${names.checkpoint} and --${names.since} say the same thing twice`, {remedy: 'give one of them'})
  }
  if (given.checkpoint !== undefined) return {checkpoint: given.checkpoint}
  return given.sinceMs === undefined ? undefined : {sinceMs: given.sinceMs}
}

/** A command that stores accounts' past. */
export abstract class BackfillCommand<T extends typeof Command> extends ConfioCommand<T> {
  // Inherited already; said again because oclif's manifest collects static properties only up
  // to the first class in the chain that has none of its own.
  static override enableJsonFlag = true

  /** Stores the accounts' past (confio backfill), with progress and a summary unless --json. */
  protected async backfill(accounts: readonly BackfillAccount[], start: BackfillStart, source: FillSource | 'auto'): Promise<BackfillReport> {
    // Redis first, as by every command that opens a queue: one line naming REDIS_URL.
    const queue = await this.queue(TransactionQueue)
    const {settings, logger, stopSignal: signal} = this
    const backfill = new AccountBackfill({db: await this.db(), chain: this.chain(), queue, packages: settings.contracts.monitored, tokens: settings.tokens, logger, signal})
    let done: FillProgress | undefined
    try {
      const report = await withSteps(this.progressMode(), BACKFILL_STEPS, (steps) => {
        const shown = backfillProgress(steps)
        return backfill.run({accounts, start, source, onStart: shown.onStart, onProgress: (p) => shown.onProgress((done = p))})
      })
      if (!this.jsonEnabled()) this.log(summary(report))
      return report
    } catch (error) {
      if (isStopOf(signal, error)) throw stopped(signal, done, error)
      throw error
    }
  }
}

/** A backfill cut short by SIGINT/SIGTERM: how far it got; every commit it made stands. */
function stopped(signal: AbortSignal, done: FillProgress | undefined, cause: unknown): RuntimeFailure {
  const far = done ? ` with ${done.checkpointsDone.toLocaleString('en-US')} of ${count(done.checkpointsTotal, 'checkpoint')} read and ${count(done.stored, 'new transaction')} stored` : ' before it stored anything'
  return new RuntimeFailure(`the backfill was stopped by ${messageOf(signal.reason)}${far}`, {
    code: 'INTERRUPTED',
    remedy: 'run the same command again to finish: what is stored stays, and nothing is stored twice',
    cause,
  })
}

function count(n: bigint | number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1n || n === 1 ? '' : 's'}`
}

function summary(report: BackfillReport): string {
  const read = report.accounts.filter((a) => a.to !== null)
  const already = report.accounts.length - read.length
  if (read.length === 0) return `Nothing to backfill: ${counted(already, 'account is', 'accounts are')} already monitored from checkpoint ${report.from} or earlier.`
  const via = report.source === 'list' ? `ListTransactions (${counted(report.requests, 'request')})` : 'a checkpoint scan'
  return (
    `Backfilled ${counted(read.length, 'account')} from checkpoint ${report.from} over ${counted(report.checkpointsTotal, 'checkpoint')} via ${via} in ${formatDuration(Math.round(report.durationMs))}: ` +
    `${counted(report.found, 'transaction')} found, ${report.stored} new, ${report.queued} queued; monitored from checkpoint ${report.from}.` +
    (already > 0 ? ` ${already} already monitored from there or earlier.` : '')
  )
}
