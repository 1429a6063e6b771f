// The lines `confio poll`, `confio worker`, `confio beat` and `confio run` print when they stop
// (without --json): what each process did, in the words each command uses.
import type {BeatResult} from '../../src/beat/beat-scheduler.ts'
import type {PollerResult} from '../../src/ingest/poller.ts'
import type {WorkerResult} from '../../src/processing/transaction-worker.ts'
import {counted} from '../../src/support/counted.ts'

export function describePollerResult(result: PollerResult): string {
  const cursor = result.cursor ?? 'none'
  if (result.stoppedBy === 'standby') return `Another poller is active (it holds the lease); nothing read. The cursor is at ${cursor}.`
  const standby = result.startedAt === undefined ? ' as a standby' : ''
  return `Stopped (${result.stoppedBy})${standby} at cursor ${cursor}: ${counted(result.checkpoints, 'checkpoint')}, ${counted(result.relevant, 'relevant transaction')}.`
}

/** `confio run`'s poller line, among its beat's and its worker's. */
export function describeRunPollerResult(result: PollerResult): string {
  return `Poller stopped (${result.stoppedBy}) at cursor ${result.cursor ?? 'none'}: ${counted(result.checkpoints, 'checkpoint')}, ${counted(result.relevant, 'relevant transaction')}.`
}

export function describeWorkerResult(result: WorkerResult): string {
  return (
    `Stopped (${result.stoppedBy}): ${result.completed} completed, ${result.alreadyProcessed} already processed, ${result.retrying} to retry, ${result.failed} failed` +
    ` in ${(result.durationMs / 1000).toFixed(1)} s (${result.jobsPerSecond} jobs/s, ${result.batches} batches).`
  )
}

export function describeBeatResult(result: BeatResult): string {
  if (result.stoppedBy === 'standby') return 'Another beat holds the lease and schedules; nothing scheduled.'
  const runs = result.scheduled.map((run) => `  ${run.jobId}${run.queued ? '' : ' (recorded; Redis did not take the job yet)'}`)
  const head = `Stopped (${result.stoppedBy}): ${result.scheduledTotal} ${result.scheduledTotal === 1 ? 'run' : 'runs'} scheduled` + (result.superseded > 0 ? `, ${result.superseded} superseded` : '') + (result.requeued > 0 ? `, ${result.requeued} queued again` : '') + (runs.length > 0 ? ':' : '.')
  return [head, ...runs].join('\n')
}
