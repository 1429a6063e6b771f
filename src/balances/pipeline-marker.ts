// The pipeline marker: one Redis key saying whether the pipeline is close enough behind the chain
// for cached balances to be trusted. The poller that holds the lease keeps it (every second:
// src/ingest/pipeline-heartbeat.ts); every balance read from Redis reads it in the same round trip
// (one MGET: redis-balance-store.ts), and a process's memory level uses a view of it at most a
// second old (pipeline-view.ts).
//
//   key:   <REDIS_PREFIX>pipeline:v1
//   value: `<state>|<lagMs>|<waitingAgeMs>`, e.g. `caught-up|180|950` or `behind|240|27400`;
//          state is caught-up or behind, waitingAgeMs is empty when nothing waits.
//
// A cached value is only as fresh as the pipeline behind it. What the poller reports: its lag (how
// long the oldest checkpoint the node has shown it has gone uncommitted: src/ingest/poller-lag.ts)
// and the wait of the oldest stored transaction not yet processed (failed-for-good ones excepted:
// those mark the balances they touch stale instead). Both grow by a second every second nobody
// makes progress, so a caught-up marker lives PIPELINE_LAG_THRESHOLD minus the larger of the two,
// at most MARKER_LIFETIME_MS: it is gone by the time either could have passed the threshold,
// whatever became of the poller. Readers need no clock and no threshold of their own:
//
// - the marker present and caught-up: cached values are trusted;
// - behind, or no marker (no poller holds the lease, it is stuck, Redis lost the key, or Redis does
//   not answer: then the queue is down too and no job moves): every cached value is served with
//   isStale and staleReason `pipeline_behind`. Chain reads are not affected.
//
// Invariant: a cached balance is served trusted only if, at most PIPELINE_LAG_THRESHOLD earlier (plus
// the second a process's view may lag), the poller had committed all it had seen of the chain and no
// stored transaction had waited longer than that.
//
// The waiting transaction is the oldest of all, not the oldest touching the account read: a
// backlog older than the threshold makes every cached balance stale. A conservative approximation,
// on every level: which accounts a transaction touches is the worker's routing decision, which
// neither the poller nor a reader makes; and a backlog that old means the workers are down or stuck,
// when any account may be behind.
//
// Beside it, <REDIS_PREFIX>pipeline:worker-progress: each worker sets it at most once a second
// after committing jobs, with a lifetime of WORKER_PROGRESS_LIFETIME_MS, so its age is that
// lifetime minus its PTTL, by Redis's clock (no two machines' clocks compared). `confio status`
// reads it to tell a backlog being worked off from one nobody works off.

/** The longest a caught-up marker stands without the poller writing it again. */
export const MARKER_LIFETIME_MS = 5_000
/** How long the worker-progress key lives after the last progress: its age is readable this long. */
export const WORKER_PROGRESS_LIFETIME_MS = 24 * 3_600_000

const CAUGHT_UP = 'caught-up'
const BEHIND = 'behind'

/** What the poller measures each second. */
export interface PipelineReport {
  /** How long the oldest checkpoint the poller has seen has gone uncommitted; 0 at the tip. */
  readonly lagMs: number
  /** How long the oldest stored transaction not yet processed (and not failed for good) has waited; null when none. */
  readonly waitingAgeMs: number | null
}

export interface PipelineMarker extends PipelineReport {
  readonly caughtUp: boolean
}

export function pipelineMarkerKey(prefix: string): string {
  return `${prefix}pipeline:v1`
}

export function workerProgressKey(prefix: string): string {
  return `${prefix}pipeline:worker-progress`
}

/**
 * The marker for a report and how long it may stand: caught up while both figures are within
 * the threshold, for as long as they stay so without progress (at most MARKER_LIFETIME_MS); else
 * behind, kept MARKER_LIFETIME_MS so that `confio status` can say why.
 */
export function markerFor(report: PipelineReport, thresholdMs: number): {value: string; ttlMs: number} {
  const behindMs = Math.max(report.lagMs, report.waitingAgeMs ?? 0)
  const caughtUp = behindMs < thresholdMs
  const value = [caughtUp ? CAUGHT_UP : BEHIND, Math.round(report.lagMs), report.waitingAgeMs === null ? '' : Math.round(report.waitingAgeMs)].join('|')
  return {value, ttlMs: caughtUp ? Math.max(1, Math.min(MARKER_LIFETIME_MS, Math.floor(thresholdMs - behindMs))) : MARKER_LIFETIME_MS}
}

/** Whether a marker (as Redis returned it: null when missing) lets cached values be trusted. */
export function isCaughtUp(value: string | null): boolean {
  return value !== null && value.startsWith(`${CAUGHT_UP}|`)
}

/** undefined for a missing marker, or one this version of confio cannot read. */
export function decodePipelineMarker(value: string | null): PipelineMarker | undefined {
  const match = value === null ? null : /^(caught-up|behind)\|(\d+)\|(\d*)$/.exec(value)
  if (!match) return undefined
  return {caughtUp: match[1] === CAUGHT_UP, lagMs: Number(match[2]), waitingAgeMs: match[3] === '' ? null : Number(match[3])}
}
