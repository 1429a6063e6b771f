// The pipeline's state as Prometheus families, read from Redis and PostgreSQL at scrape time (each
// read within READ_TIMEOUT_MS, a query shared by the families that show parts of it): the queues'
// depths, the outboxes' backlogs, and the beat's view: each task's last run and success, open
// drift, the last reconcile. The beat registers them (`confio beat`, `confio run`): one active beat
// per database, so a dashboard takes max() across the beat and its standbys.
import {readBeatTaskTimes} from '../status/beat-status.ts'
import {countOpenDrift, readCacheOutbox, readLastReconcile} from '../status/balance-status.ts'
import {waitingBacklog} from '../ingest/raw-event-repository.ts'
import type {QueueCounts} from '../queue/queue-base.ts'
import type {Database} from '../store/database.ts'
import {readWebhookBacklog} from '../webhooks/webhook-deliveries.ts'
import {type MetricsRegistry, registerGauge, sharedRead} from '../support/metric-families.ts'

/** A queue whose jobs are counted: its name and bee-queue's counts. */
export interface CountedQueue {
  readonly name: string
  counts(): Promise<QueueCounts>
}

/** What the last reconcile run's outcome can be: ReconcileOutcome, `failed` (it threw), `running`. */
const RECONCILE_OUTCOMES = ['agreed', 'drift', 'errors', 'in-flight', 'failed', 'running'] as const

export function registerQueueMetrics(registry: MetricsRegistry, queues: readonly CountedQueue[]): void {
  registerGauge(registry, {
    name: 'confio_queue_jobs',
    help: 'Jobs in each queue by state (waiting, active, delayed, failed); the beat queue keeps no failed jobs (outcomes are in beat_runs)',
    read: async () => {
      const counted = await Promise.all(queues.map(async (queue) => ({queue: queue.name, counts: await queue.counts()})))
      return counted.flatMap(({queue, counts}) => (['waiting', 'active', 'delayed', 'failed'] as const).map((state) => ({labels: {queue, state}, value: counts[state]})))
    },
  })
}

export function registerOutboxMetrics(registry: MetricsRegistry, db: Database): void {
  // raw_events: stored transactions not processed yet (the poller's outbox queues again those
  // without a job); balance_cache: balance changes Redis has not been told yet; webhooks: events
  // not delivered yet (and those kept as failed, which wait for `confio webhooks retry`).
  const reads = sharedRead(async () => {
    const [raw, cache, webhooks] = await Promise.all([waitingBacklog(db), readCacheOutbox(db), readWebhookBacklog(db)])
    return {
      outboxes: [
        {outbox: 'raw_events', backlog: raw.count, ageMs: raw.oldestAgeMs},
        {outbox: 'balance_cache', backlog: cache.backlog, ageMs: cache.oldestAgeMs},
        {outbox: 'webhooks', backlog: webhooks.pending, ageMs: webhooks.oldestPendingMs},
      ],
      webhooksFailed: webhooks.failed,
    }
  })
  const read = async () => (await reads()).outboxes
  registerGauge(registry, {
    name: 'confio_webhooks_failed',
    help: 'Webhook events kept as failed (24 h of failed attempts): delivered again only by confio webhooks retry',
    read: async () => [{labels: {}, value: (await reads()).webhooksFailed}],
  })
  registerGauge(registry, {
    name: 'confio_outbox_backlog',
    help: 'Rows waiting in each outbox: raw_events (stored transactions not processed yet), balance_cache (balance changes not yet sent to Redis), webhooks (events not delivered yet)',
    read: async () => (await read()).map(({outbox, backlog}) => ({labels: {outbox}, value: backlog})),
  })
  registerGauge(registry, {
    name: 'confio_outbox_oldest_age_seconds',
    help: "Age of each outbox's oldest row by PostgreSQL's clock (0 when empty)",
    read: async () => (await read()).map(({outbox, ageMs}) => ({labels: {outbox}, value: (ageMs ?? 0) / 1000})),
  })
}

/** `intervals`: each planned task's interval (a daily task's is a day), for "not run in twice its interval". */
export function registerBeatMetrics(registry: MetricsRegistry, db: Database, intervals: ReadonlyArray<{task: string; intervalMs: number}>): void {
  const times = sharedRead(() => readBeatTaskTimes(db, intervals.map((i) => i.task)))
  const seconds = (date: Date | null) => (date === null ? [] : [date.getTime() / 1000])
  registerGauge(registry, {
    name: 'confio_beat_task_interval_seconds',
    help: "Each beat task's scheduling interval (a daily task's is a day)",
    read: () => intervals.map(({task, intervalMs}) => ({labels: {task}, value: intervalMs / 1000})),
  })
  registerGauge(registry, {
    name: 'confio_beat_task_last_run_timestamp_seconds',
    help: "When each beat task's newest finished run (done or failed) finished (Unix time)",
    read: async () => (await times()).flatMap(({task, lastRun}) => seconds(lastRun).map((value) => ({labels: {task}, value}))),
  })
  registerGauge(registry, {
    name: 'confio_beat_task_last_success_timestamp_seconds',
    help: "When each beat task's newest successful run finished (Unix time)",
    read: async () => (await times()).flatMap(({task, lastSuccess}) => seconds(lastSuccess).map((value) => ({labels: {task}, value}))),
  })
  registerGauge(registry, {
    name: 'confio_drift_records_open',
    help: 'Open drift records: balances the reconciler found differing from the chain and has not seen agree since',
    read: async () => [{value: await countOpenDrift(db)}],
  })
  const last = sharedRead(() => readLastReconcile(db))
  registerGauge(registry, {
    name: 'confio_reconcile_last_run_outcome',
    help: "The newest reconcile run's outcome: 1 for it, 0 for the others (running: not finished, or it died)",
    read: async () => {
      const run = await last()
      if (!run) return []
      const outcome = run.outcome ?? 'running'
      return RECONCILE_OUTCOMES.map((o) => ({labels: {outcome: o}, value: o === outcome ? 1 : 0}))
    },
  })
  registerGauge(registry, {
    name: 'confio_reconcile_last_run_timestamp_seconds',
    help: 'When the newest reconcile run started (Unix time)',
    read: async () => {
      const run = await last()
      return run ? [{value: Date.parse(run.startedAt) / 1000}] : []
    },
  })
  registerGauge(registry, {
    name: 'confio_reconcile_last_run_items',
    help: "The newest reconcile run's counts: accounts selected, checked, in_flight (not comparable), balances in_drift, errors",
    read: async () => {
      const run = await last()
      if (!run) return []
      const counts = {selected: run.selected, checked: run.checked, in_flight: run.inFlight, in_drift: run.inDrift, errors: run.errors}
      return Object.entries(counts).map(([what, value]) => ({labels: {what}, value}))
    },
  })
}
