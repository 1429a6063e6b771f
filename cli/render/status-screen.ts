// The one screen of `confio status`: the report (src/status) drawn as sections of aligned fields
// and tables, alarms first. Amounts are in display units (AmountFormatter); times are UTC to the
// second. What it shows is the report's and nothing more: every figure is in --json too.
import {MARKER_LIFETIME_MS} from '../../src/balances/pipeline-marker.ts'
import {formatAge, holderName} from '../../src/status/alarms.ts'
import type {StatusReport} from '../../src/status/gather-status.ts'
import type {LeaseHolder} from '../../src/status/status-report.ts'
import {counted} from '../../src/support/counted.ts'
import type {AmountFormatter} from '../../src/tokens/amount-formatter.ts'
import {formatTable} from '../table.ts'
import {driftCells} from './drift-cells.ts'

export function renderStatus(r: StatusReport, amounts: AmountFormatter): string {
  const lines: string[] = []
  const head = `confio status ${when(r.checkedAt)}`
  if (r.healthy) lines.push(`${head}: healthy`)
  else {
    lines.push(`${head}: ${r.alarms.length} ${r.alarms.length === 1 ? 'alarm' : 'alarms'}`)
    const width = Math.max(...r.alarms.map((a) => a.code.length))
    for (const alarm of r.alarms) lines.push(`  ALARM ${alarm.code.padEnd(width)}  ${alarm.message}`)
  }
  lines.push('', 'Poller', ...pollerLines(r), '', 'Queue', ...queueLines(r), '', 'Processing', ...processingLines(r))
  lines.push('', 'Balances', ...balanceLines(r, amounts), '', 'Beat', ...beatLines(r), '', 'Webhooks', ...webhookLines(r))
  return lines.join('\n')
}

function pollerLines({poller, pipeline}: StatusReport): string[] {
  const {holder} = poller.lease
  const {cursor, chain} = poller
  const cursorText = cursor ? `checkpoint ${cursor.checkpoint}, last commit ${formatAge(cursor.ageMs)} ago (${when(cursor.updatedAt)})` : 'none: no checkpoint committed yet'
  let chainText = 'not asked (--chain asks for the tip and the lag)'
  if (chain && !chain.available) chainText = `did not answer: ${chain.error}`
  if (chain?.available) {
    const lag = chain.lagCheckpoints === null ? 'lag unknown (no cursor)' : `${counted(chain.lagCheckpoints, 'checkpoint')} behind${chain.lagMs === null ? '' : ` (${formatAge(chain.lagMs)})`}`
    chainText = `tip ${chain.tip} at ${when(chain.tipTimestamp)}: ${lag}; lowest available ${chain.lowestAvailableCheckpoint}`
  }
  const outage = pipeline.nodeOutage
  const node = outage ? [field('node', `unreachable since ${when(outage.since)} (${formatAge(outage.forMs)}, ${outage.attempts} attempts waited out): ${clip(outage.error, 100)}`)] : []
  return [...leaseLines(holder), field('cursor', cursorText), field('chain', chainText), ...node]
}

function queueLines({queue}: StatusReport): string[] {
  if (!queue.available) return [field('unavailable', queue.error)]
  const rows = queue.queues.map((q) => [q.name, String(q.waiting), String(q.active), String(q.delayed), q.failed === null ? '-' : String(q.failed)])
  return indent(formatTable(['QUEUE', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED'], rows))
}

function processingLines({processing, pipeline}: StatusReport): string[] {
  const {failed, unprocessed} = processing
  const lines = [field('failed', String(failed.count))]
  if (failed.newest.length > 0) {
    const rows = failed.newest.map((f) => [f.digest, f.finishedAt ? when(f.finishedAt) : '-', String(f.attempts), clip(f.accounts.join(', ') || '-', 40), clip(f.error ?? '-', 60)])
    lines.push(...indent(formatTable(['DIGEST', 'FAILED AT', 'ATTEMPTS', 'ACCOUNTS (BALANCES STALE)', 'ERROR'], rows), 4))
  }
  const oldest = unprocessed.oldest
  const waiting = oldest ? `, oldest ${oldest.digest} at checkpoint ${oldest.checkpoint}, stored ${formatAge(oldest.ageMs)} ago` : ''
  lines.push(field('unprocessed', `${unprocessed.count}${waiting}`))
  const {count, oldestAgeMs} = pipeline.waiting
  const progress = pipeline.workerProgressAgeMs === null ? 'none in the last 24 h (or Redis did not answer)' : `${formatAge(pipeline.workerProgressAgeMs)} ago`
  lines.push(field('waiting', `${count} to process (failed ones aside)${oldestAgeMs === null ? '' : `, oldest stored ${formatAge(oldestAgeMs)} ago`}; a worker last committed one ${progress}`))
  return lines
}

function balanceLines({balances, pipeline}: StatusReport, amounts: AmountFormatter): string[] {
  const {drift, lastReconcile: run, cacheOutbox} = balances
  const lines = [
    field('cached values', trustLine(pipeline.marker)),
    field('rows', `${balances.rows}: ${balances.stale} stale, ${balances.withoutBase} never read from the chain`),
    field('open drift', String(drift.open)),
  ]
  if (drift.largest.length > 0) {
    const rows = drift.largest.map((d) => [
      ...driftCells(d, amounts),
      `${d.difference > 0n ? '+' : ''}${amounts.format(d.difference, d.token)}`,
      String(d.runs),
      when(d.firstSeen),
    ])
    lines.push(...indent(formatTable(['ACCOUNT', 'TOKEN', 'CACHED', 'CHAIN', 'DIFFERENCE', 'RUNS', 'FIRST SEEN'], rows), 4))
  }
  let reconcile = 'none has run'
  if (run) {
    const outcome = `${run.outcome ?? 'no outcome'}${run.error ? ` (${clip(run.error, 80)})` : ''}`
    const end = run.finishedAt ? `finished ${when(run.finishedAt)}: ${outcome}` : 'not finished (running, or it died)'
    reconcile = `run ${run.id} (${run.trigger}${run.dryRun ? ', dry run' : ''}) started ${when(run.startedAt)}, ${end}; checked ${run.checked} of ${run.selected}, in flight ${run.inFlight}, in drift ${run.inDrift}, errors ${run.errors}`
  }
  lines.push(field('last reconcile', reconcile))
  const oldest = cacheOutbox.oldestAgeMs === null ? '' : `, oldest ${formatAge(cacheOutbox.oldestAgeMs)} old`
  lines.push(field('cache outbox', `${cacheOutbox.backlog} not yet in Redis${oldest}`))
  return lines
}

function beatLines({beat}: StatusReport): string[] {
  if (beat.tasks.length === 0) return [field('tasks', 'none has run yet')]
  const rows = beat.tasks.map((t) => [
    t.task,
    when(t.slotStart),
    t.state,
    t.finishedAt ? when(t.finishedAt) : '-',
    t.lastSuccess ? when(t.lastSuccess.finishedAt) : 'never',
    String(t.supersededLastDay),
    t.nextRun ? when(t.nextRun) : 'unknown',
  ])
  const lines = indent(formatTable(['TASK', 'LAST SLOT', 'STATE', 'FINISHED', 'LAST SUCCESS', 'SUPERSEDED 24H', 'NEXT'], rows))
  if (!beat.scheduleKnown) lines.push('  (next runs unknown: those runs were recorded by a beat that did not record its schedule)')
  return lines
}

function webhookLines({webhooks}: StatusReport): string[] {
  const oldest = webhooks.oldestPendingMs === null ? '' : `, oldest queued ${formatAge(webhooks.oldestPendingMs)} ago`
  return [field('backlog', `${webhooks.pending} to deliver${oldest}`), field('failed', `${webhooks.failed}${webhooks.failed > 0 ? ' (confio webhooks list --failed)' : ''}`)]
}

/**
 * Who holds the poller lease: the process first (the pid to stop, and the hand-over wrapper's, the
 * one systemd knows), then its lease connection, whose PostgreSQL backend pid is the database's.
 */
function leaseLines(holder: LeaseHolder | null): string[] {
  if (!holder) return [field('lease', 'none held: no poller runs')]
  const wrapper = holder.wrapperPid === null ? '' : ` (started through the hand-over wrapper, pid ${holder.wrapperPid}: the pid systemd knows)`
  const from = holder.clientAddress ? ` from ${holder.clientAddress}` : ' (local socket, or address not visible)'
  const who = [holder.applicationName || undefined, holder.user ? `user ${holder.user}` : undefined].filter(Boolean).join(', ')
  const since = holder.backendStart ? `, connected ${when(holder.backendStart)}` : ''
  return [field('lease', `held by ${holderName(holder)}${wrapper}, token ${holder.token}`), field('lease session', `PostgreSQL backend pid ${holder.backendPid}${from}${who ? ` (${who})` : ''}${since}`)]
}

/** What balance readers make of the pipeline marker. */
function trustLine(marker: StatusReport['pipeline']['marker']): string {
  if (marker.state === 'unknown') return `unknown: Redis did not answer (${marker.error})`
  if (marker.state === 'missing') return `served as stale (pipeline_behind): no pipeline marker, so no poller has reported within ${formatAge(MARKER_LIFETIME_MS)}`
  const figures = `poller lag ${formatAge(marker.lagMs)}, oldest waiting ${marker.waitingAgeMs === null ? 'none' : formatAge(marker.waitingAgeMs)}`
  return marker.state === 'caught-up' ? `trusted: the pipeline is caught up (${figures})` : `served as stale (pipeline_behind): the pipeline is behind (${figures})`
}

function field(name: string, value: string): string {
  return `  ${name.padEnd(15)}${value}`
}

function indent(text: string, spaces = 2): string[] {
  return text.split('\n').map((line) => ' '.repeat(spaces) + line)
}

/** 2026-11-29T18:20:01.123Z -> 2026-11-29 18:20:01Z */
function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

function clip(text: string, max: number): string {
  const line = text.split('\n')[0] ?? ''
  return line.length > max ? `${line.slice(0, max - 3)}...` : line
}
