// What in a status reading needs a person, each with a one-line reason. `confio status` exits 1
// when there is any. Without --chain the poller's health is judged by its cursor: mainnet and
// testnet seal a checkpoint every ~250 ms and the cursor moves with every committed batch, so a
// cursor that has not moved for a minute while a poller holds the lease means the poller is stuck
// (on a localnet that seals nothing, it may only be idle: ask the chain with --chain).
import {PROCESS_TRANSACTION} from '../queue/transaction-queue.ts'
import {counted} from '../support/counted.ts'
import type {Alarm, LeaseHolder, StatusReport, StatusThresholds} from './status-report.ts'

export type StatusReading = Omit<StatusReport, 'alarms' | 'healthy'>

export function alarmsOf(reading: StatusReading, thresholds: StatusThresholds, nowMs = Date.now()): Alarm[] {
  return [
    ...pollerAlarms(reading, thresholds, nowMs),
    ...nodeOutageAlarms(reading),
    ...queueAlarms(reading),
    ...processingAlarms(reading),
    ...pipelineAlarms(reading, thresholds),
    ...balanceAlarms(reading),
    ...cacheOutboxAlarms(reading, thresholds),
    ...webhookAlarms(reading),
  ]
}

/** Events the receiver never acknowledged within their 24 h: it has missed them until someone resends them. */
function webhookAlarms({webhooks}: StatusReading): Alarm[] {
  if (webhooks.failed === 0) return []
  return [{code: 'WEBHOOKS_FAILED', message: `${counted(webhooks.failed, 'webhook event')} never acknowledged within 24 h: fix the receiver, then confio webhooks retry --all-failed (confio webhooks list --failed shows them)`}]
}

function pollerAlarms({poller}: StatusReading, thresholds: StatusThresholds, nowMs: number): Alarm[] {
  const alarms: Alarm[] = []
  const {holder} = poller.lease
  const {cursor, chain} = poller
  if (!holder) alarms.push({code: 'NO_POLLER', message: 'no poller holds the lease: nothing follows the chain; start confio poll (or confio run)'})
  if (chain && !chain.available) alarms.push({code: 'CHAIN_UNAVAILABLE', message: `the chain did not answer (${chain.error}): the lag is unknown`})
  if (chain?.available) {
    const lag = chain.lagCheckpoints
    if (lag !== null && lag > BigInt(thresholds.maxLag)) {
      const seconds = chain.lagMs === null ? '' : `, ${formatAge(chain.lagMs)}`
      alarms.push({code: 'POLLER_LAG', message: `the cursor (checkpoint ${cursor?.checkpoint}) is ${counted(lag, 'checkpoint')} behind the tip ${chain.tip}${seconds} (limit ${thresholds.maxLag})`})
    }
    return alarms
  }
  // Without an answer from the chain, the cursor's last commit is the measure.
  if (!holder) return alarms
  if (cursor && cursor.ageMs > thresholds.maxCursorAgeMs) {
    alarms.push({
      code: 'POLLER_STALLED',
      message: `the cursor (checkpoint ${cursor.checkpoint}) has not moved for ${formatAge(cursor.ageMs)} (limit ${formatAge(thresholds.maxCursorAgeMs)}) though ${holderName(holder)} holds the lease: the poller is stuck or cannot read the chain`,
    })
  }
  const heldMs = holder.backendStart ? nowMs - Date.parse(holder.backendStart) : 0
  if (!cursor && heldMs > thresholds.maxCursorAgeMs) {
    alarms.push({code: 'POLLER_STALLED', message: `${holderName(holder)} has held the lease for ${formatAge(heldMs)} and committed no checkpoint yet (limit ${formatAge(thresholds.maxCursorAgeMs)})`})
  }
  return alarms
}

/** The poller cannot reach its node: it waits the outage out, and nothing new is stored meanwhile. */
function nodeOutageAlarms({pipeline}: StatusReading): Alarm[] {
  const outage = pipeline.nodeOutage
  if (!outage) return []
  return [
    {
      code: 'NODE_UNREACHABLE',
      message: `the poller has not reached its node for ${formatAge(outage.forMs)} (${outage.attempts} ${plural(outage.attempts, 'attempt', 'attempts')} waited out; last: ${oneLine(outage.error)}); it keeps trying, nothing new is stored meanwhile; check the node with confio test-connection`,
    },
  ]
}

function queueAlarms({queue}: StatusReading): Alarm[] {
  if (!queue.available) return [{code: 'QUEUE_UNAVAILABLE', message: `Redis did not answer (${queue.error}): the queue's counts are unknown, and no job is queued or taken meanwhile`}]
  return queue.queues.flatMap(({name, failed}): Alarm[] =>
    failed ? [{code: 'QUEUE_FAILED', message: `${failed} ${name} ${plural(failed, 'job', 'jobs')} failed for good; confio worker --retry-failed queues them again`}] : [],
  )
}

function processingAlarms({processing}: StatusReading): Alarm[] {
  const {count, newest} = processing.failed
  if (count === 0) return []
  const latest = newest[0]
  const example = latest ? ` (newest ${latest.digest}: ${oneLine(latest.error ?? 'no error recorded')})` : ''
  return [{code: 'PROCESSING_FAILED', message: `${count} ${plural(count, 'transaction', 'transactions')} failed processing${example}; fix the cause, then confio worker --retry-failed`}]
}

/**
 * A backlog nobody works off: transactions have waited longer than the limit, jobs wait in the
 * queue for a worker to take them (or are taken and not finished), and no worker has committed a
 * job within the limit: no worker runs, or the workers are stuck. Jobs only waiting for a retry
 * (delayed) are no stall.
 */
function pipelineAlarms({pipeline, queue}: StatusReading, thresholds: StatusThresholds): Alarm[] {
  const {waiting, workerProgressAgeMs, marker} = pipeline
  // Redis not answering: QUEUE_UNAVAILABLE says so, and neither the jobs nor the progress are known.
  if (!queue.available || marker.state === 'unknown') return []
  if (waiting.oldestAgeMs === null || waiting.oldestAgeMs <= thresholds.maxStallMs) return []
  const jobs = queue.queues.find((q) => q.name === PROCESS_TRANSACTION)
  if (!jobs || jobs.waiting + jobs.active === 0) return []
  if (workerProgressAgeMs !== null && workerProgressAgeMs <= thresholds.maxStallMs) return []
  const progress = workerProgressAgeMs === null ? 'no worker has committed a job in the last 24 h' : `no worker has committed a job for ${formatAge(workerProgressAgeMs)}`
  return [
    {
      code: 'PIPELINE_STALLED',
      message: `${waiting.count} stored ${plural(waiting.count, 'transaction waits', 'transactions wait')} to be processed, the oldest for ${formatAge(waiting.oldestAgeMs)}, and ${progress} (limit ${formatAge(thresholds.maxStallMs)}): no worker runs, or the workers are stuck; start confio worker (or confio run), or see the workers' log${marker.state === 'caught-up' ? '' : '. Cached balances are served as stale (pipeline_behind) meanwhile'}`,
    },
  ]
}

function balanceAlarms({balances}: StatusReading): Alarm[] {
  const {open, largest} = balances.drift
  if (open === 0) return []
  const top = largest[0]
  const example = top ? ` (largest: ${top.token} of ${top.email ?? top.address})` : ''
  return [{code: 'BALANCE_DRIFT', message: `${open} cached ${plural(open, 'balance disagrees', 'balances disagree')} with the chain${example}: open drift not yet seen agreeing by a reconcile`}]
}

/**
 * A change Redis has not been told for long: Redis is refusing writes (a key it will neither write
 * nor delete, read-only after a failover, out of memory) or no worker runs, and Redis may serve
 * the balance as it was before that change.
 */
function cacheOutboxAlarms({balances}: StatusReading, thresholds: StatusThresholds): Alarm[] {
  const {backlog, oldestAgeMs} = balances.cacheOutbox
  if (oldestAgeMs === null || oldestAgeMs <= thresholds.maxOutboxAgeMs) return []
  return [
    {
      code: 'CACHE_OUTBOX_BEHIND',
      message: `${backlog} balance ${plural(backlog, 'change has', 'changes have')} not reached Redis, the oldest for ${formatAge(oldestAgeMs)} (limit ${formatAge(thresholds.maxOutboxAgeMs)}): Redis refuses the relay's writes or no worker runs; see the worker's log`,
    },
  ]
}

/**
 * The lease's holder as the process to look at or stop: its own pid on its host (never the
 * PostgreSQL backend serving its lease connection).
 */
export function holderName(holder: LeaseHolder): string {
  const where = holder.host ? ` on ${holder.host}` : ''
  return holder.pid === null ? `${holder.holder}${where}` : `pid ${holder.pid}${where}`
}

/** An age or a limit as people say it: 0.4 s, 95 s, 12 min, 5.2 h. */
export function formatAge(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 300_000) return `${Math.round(ms / 1000)} s`
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`
  return `${(ms / 3_600_000).toFixed(1)} h`
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many
}

function oneLine(text: string): string {
  const line = text.split('\n')[0] ?? ''
  return line.length > 120 ? `${line.slice(0, 117)}...` : line
}
