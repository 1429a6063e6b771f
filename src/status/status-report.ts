// What `confio status` reports: the on-call engineer's one screen, as plain records. The command
// prints them as text, or whole with --json (bigints as strings, times as ISO 8601, ages in ms).
// Every age is measured by PostgreSQL's clock, the one that wrote the times it is compared with.
import type {NodeOutageView} from '../ingest/node-outage.ts'
import type {OpenDriftRecord} from '../reconcile/drift-records.ts'
import type {LeaseHolder} from '../store/lease-holder.ts'
import type {WebhookBacklog} from '../webhooks/webhook-deliveries.ts'

export type {LeaseHolder} from '../store/lease-holder.ts'

export interface StatusReport {
  /** When the report was made (this machine's clock). */
  readonly checkedAt: string
  readonly thresholds: StatusThresholds
  readonly poller: PollerStatus
  readonly queue: QueueStatus
  readonly processing: ProcessingStatus
  readonly pipeline: PipelineStatus
  readonly balances: BalanceStatus
  readonly beat: BeatStatus
  /** The webhook outbox: events waiting to be delivered (the oldest's age) and those kept as failed. */
  readonly webhooks: WebhookBacklog
  /** Each thing that needs a person, with a one-line reason; empty when healthy. */
  readonly alarms: readonly Alarm[]
  readonly healthy: boolean
}

/** When a reading becomes an alarm. */
export interface StatusThresholds {
  /** Checkpoints the cursor may be behind the chain's tip (used with --chain). */
  readonly maxLag: number
  /** How long the cursor may go without a commit while a poller holds the lease (without --chain). */
  readonly maxCursorAgeMs: number
  /** How old the balance cache outbox's oldest row may be: older, Redis is not being told. */
  readonly maxOutboxAgeMs: number
  /** How long transactions may wait with no worker committing any: longer, the pipeline is stalled. */
  readonly maxStallMs: number
}

export type AlarmCode =
  | 'NO_POLLER'
  | 'POLLER_STALLED'
  | 'POLLER_LAG'
  | 'CHAIN_UNAVAILABLE'
  | 'NODE_UNREACHABLE'
  | 'QUEUE_UNAVAILABLE'
  | 'QUEUE_FAILED'
  | 'PROCESSING_FAILED'
  | 'BALANCE_DRIFT'
  | 'CACHE_OUTBOX_BEHIND'
  | 'PIPELINE_STALLED'
  | 'WEBHOOKS_FAILED'

export interface Alarm {
  readonly code: AlarmCode
  readonly message: string
}

export interface PollerStatus {
  /** holder null: no process holds the lease, so nothing follows the chain. */
  readonly lease: {readonly holder: LeaseHolder | null}
  /** null: no poller has ever committed a checkpoint to this database. */
  readonly cursor: CursorStatus | null
  /** null: not asked (no --chain). */
  readonly chain: ChainStatus | null
}

export interface CursorStatus {
  readonly name: string
  /** The last checkpoint whose relevant transactions are committed. */
  readonly checkpoint: bigint
  /** The last commit: the cursor moves with every batch, relevant transactions or not. */
  readonly updatedAt: string
  readonly ageMs: number
}

export type ChainStatus =
  | {
      readonly available: true
      readonly tip: bigint
      readonly tipTimestamp: string
      readonly lowestAvailableCheckpoint: bigint
      /** tip - cursor; null without a cursor. */
      readonly lagCheckpoints: bigint | null
      /** Between the cursor's checkpoint and the tip, by their timestamps; null when unknown. */
      readonly lagMs: number | null
    }
  | {readonly available: false; readonly error: string}

export type QueueStatus = {readonly available: true; readonly queues: readonly QueueCountsView[]} | {readonly available: false; readonly error: string}

export interface QueueCountsView {
  readonly name: string
  readonly waiting: number
  readonly active: number
  readonly delayed: number
  /** null: the queue keeps no failed jobs (beat: a run's outcome is in beat_runs). */
  readonly failed: number | null
}

export interface ProcessingStatus {
  readonly failed: {readonly count: number; readonly newest: readonly FailedTransactionView[]}
  readonly unprocessed: {readonly count: number; readonly oldest: UnprocessedTransactionView | null}
}

export interface PipelineStatus {
  /** Stored transactions not processed yet, failed-for-good ones excepted; the oldest's age by PostgreSQL's clock. */
  readonly waiting: {readonly count: number; readonly oldestAgeMs: number | null}
  /** Since any worker last committed a job, by Redis's clock; null: none in the last 24 h, or Redis did not answer. */
  readonly workerProgressAgeMs: number | null
  /** What balance readers see in the pipeline marker: anything but caught-up serves cached balances as stale. */
  readonly marker: MarkerView
  /** The node outage the poller is waiting out, as it last wrote it (node-outage.ts); null: none (or Redis did not answer). */
  readonly nodeOutage: NodeOutageView | null
}

/**
 * caught-up and behind: as the poller last wrote it (its lag, the oldest waiting transaction's
 * age); missing: no poller has written it within its lifetime; unknown: Redis did not answer.
 */
export type MarkerView =
  | {readonly state: 'caught-up' | 'behind'; readonly lagMs: number; readonly waitingAgeMs: number | null}
  | {readonly state: 'missing'}
  | {readonly state: 'unknown'; readonly error: string}

export interface FailedTransactionView {
  readonly digest: string
  readonly error: string | null
  readonly attempts: number
  readonly finishedAt: string | null
  /** The active accounts it names (their balances were marked stale when it failed): email, or address. */
  readonly accounts: readonly string[]
}

export interface UnprocessedTransactionView {
  readonly digest: string
  readonly checkpoint: bigint
  readonly storedAt: string
  readonly ageMs: number
}

export interface BalanceStatus {
  /** balances rows of active accounts. */
  readonly rows: number
  readonly stale: number
  /** Never read from the chain (base_checkpoint IS NULL): not served from cache until read. */
  readonly withoutBase: number
  readonly drift: {readonly open: number; readonly largest: readonly DriftView[]}
  /** The newest reconcile_runs row; null when no reconcile has run. */
  readonly lastReconcile: ReconcileRunView | null
  /** Balance changes Redis has not been told yet: a growing backlog means Redis is down or no worker runs. */
  readonly cacheOutbox: {readonly backlog: number; readonly oldestAgeMs: number | null}
}

/** An open drift record as the status shows it. */
export type DriftView = OpenDriftRecord

export interface ReconcileRunView {
  readonly id: string
  readonly trigger: string
  readonly dryRun: boolean
  readonly startedAt: string
  /** null: still running, or the run died. */
  readonly finishedAt: string | null
  readonly selected: number
  readonly checked: number
  readonly inFlight: number
  readonly inDrift: number
  readonly errors: number
  /** agreed, drift, errors, in-flight (nothing compared), failed (the run stopped on `error`); null while running. */
  readonly outcome: string | null
  /** Why a failed run stopped. */
  readonly error: string | null
}

export interface BeatStatus {
  /** Each task that has been scheduled at least once: its newest run, newest success and superseded slots. */
  readonly tasks: readonly BeatTaskView[]
  /** false: some task's newest run was recorded without its next slot (by a beat before it recorded them), so its nextRun is null. */
  readonly scheduleKnown: boolean
}

/** A beat task as the status shows it: its newest run (slot, times, outcome, state) and more. */
export interface BeatTaskView {
  readonly task: string
  readonly slotStart: string
  readonly enqueuedAt: string
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly outcome: string | null
  readonly state: 'enqueued' | 'running' | 'done' | 'failed' | 'superseded'
  /** The newest run that finished `done`; null: none has. */
  readonly lastSuccess: {readonly slotStart: string; readonly finishedAt: string} | null
  /** Slots of the last 24 h (by slot start) that never ran: a newer slot of the task was scheduled before any worker started them. */
  readonly supersededLastDay: number
  /** The task's next slot under the schedule of the beat that recorded its newest run; in the past when no beat has scheduled it since. */
  readonly nextRun: string | null
}
