// The poller's, the worker's and the beat's flags, shared by `confio poll`, `confio worker`,
// `confio beat` and `confio run` (all three in one process), so they cannot drift apart. Their
// values are what src/processes/ assembles each process with (PollFlagValues, WorkerFlagValues,
// BeatFlagValues).
import {Flags} from '@oclif/core'
import {formatTimeOfDay, parseTimeOfDay} from '../src/beat/beat-schedule.ts'
import {BEAT_TASKS} from '../src/beat/beat-tasks.ts'
import {DEFAULT_DETAILS_DEADLINE_MS} from '../src/ingest/details-fetcher.ts'
import {FOLLOW_MODES} from '../src/ingest/checkpoint-source.ts'
import {DEFAULT_RETRY_POLICY} from '../src/processing/retry-policy.ts'
import {DEFAULT_WORKER_CONCURRENCY} from '../src/processes/worker-process.ts'
import {checkpointFlag, durationFlag} from './durations.ts'

/** Every long-running process's (serve's too): the setting METRICS_PORT, for one command. */
export const metricsPortFlag = Flags.integer({min: 1, max: 65_535, summary: 'Serve /metrics (Prometheus), /healthz and /readyz on METRICS_HOST (127.0.0.1):PORT (METRICS_PORT).'})

export const pollFlags = {
  'metrics-port': metricsPortFlag,
  mode: Flags.option({options: FOLLOW_MODES, default: 'auto' as const, summary: 'stream (SubscribeCheckpoints), poll (every --interval) or auto.'})(),
  interval: durationFlag({default: 2_000, minMs: 100, summary: 'How often poll mode looks for new checkpoints (e.g. 2s, 500ms).'}),
  'from-checkpoint': checkpointFlag({summary: 'Where to start when there is no cursor yet (ignored once one exists).'}),
  'outbox-interval': durationFlag({default: 30_000, minMs: 1_000, summary: 'How often unqueued or lost jobs are queued again.', hidden: true}),
  'node-wait': durationFlag({default: 30_000, minMs: 100, summary: 'With --once: how long to wait for a node that is behind the cursor.', hidden: true}),
  'details-deadline': durationFlag({default: DEFAULT_DETAILS_DEADLINE_MS, minMs: 100, summary: "How long fetching a batch's relevant transactions in full may take before the poller stops.", hidden: true}),
}

export const workerFlags = {
  'metrics-port': metricsPortFlag,
  concurrency: Flags.integer({min: 1, max: 256, default: DEFAULT_WORKER_CONCURRENCY, summary: 'Jobs this process holds at once, taken from the queue together as batches (one database transaction each, two at once).'}),
  'max-attempts': Flags.integer({min: 1, default: DEFAULT_RETRY_POLICY.maxAttempts, summary: 'Runs a failing job gets before it is marked failed.'}),
  'retry-delay': durationFlag({default: DEFAULT_RETRY_POLICY.retryDelayMs, minMs: 0, summary: 'Wait before a retry, multiplied by the attempt number (e.g. 60s).'}),
  'stall-limit': Flags.integer({min: 1, default: DEFAULT_RETRY_POLICY.stallLimit, summary: 'Times a job may stop mid-run (its worker died) before it is marked failed.'}),
  'stall-interval': durationFlag({default: 5_000, minMs: 1_000, summary: 'A job not renewed by its worker for this long is given to another (same value on every worker).'}),
  'webhook-sender': Flags.boolean({default: true, allowNo: true, summary: 'Send the webhook events this worker queues (WEBHOOK_URL); --no-webhook-sender leaves them to `confio webhooks send`.'}),
}

/** HH:MM in UTC, as minutes after midnight. */
const timeOfDayFlag = Flags.custom<number>({
  parse: async (input) => {
    const minute = parseTimeOfDay(input)
    if (minute === undefined) throw new Error(`${JSON.stringify(input)} is not a time of day; use HH:MM in UTC, e.g. 02:00`)
    return minute
  },
})

export const beatFlags = {
  'metrics-port': metricsPortFlag,
  'refresh-every': durationFlag({default: 300_000, minMs: 10_000, summary: 'How often stale balances are read from the chain again.'}),
  'refresh-limit': Flags.integer({min: 1, max: 10_000, default: 100, summary: 'Stale balances refreshed per run, oldest first.'}),
  'reconcile-every': durationFlag({default: 3_600_000, minMs: 60_000, summary: 'How often accounts not checked within this interval are reconciled with the chain.'}),
  'expire-every': durationFlag({default: 60_000, minMs: 10_000, summary: 'How often pending amounts past --pending-ttl are released.'}),
  'pending-ttl': durationFlag({default: 600_000, minMs: 60_000, summary: 'Age at which a pending amount whose transaction was never processed is released.'}),
  'cleanup-at': timeOfDayFlag({default: 120, defaultHelp: async () => formatTimeOfDay(120), summary: 'Time of day (HH:MM, UTC) of the daily cleanup.'}),
  retention: durationFlag({default: 90 * 86_400_000, minMs: 86_400_000, summary: 'Age after which processed raw events and finished processing-log rows are deleted.'}),
  task: Flags.option({options: BEAT_TASKS, multiple: true, summary: 'Schedule only this task (repeatable; default: all).'})(),
}
