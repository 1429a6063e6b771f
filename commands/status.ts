import {Flags, ux} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {durationFlag} from '../cli/durations.ts'
import {formatTable} from '../cli/table.ts'
import {MARKER_LIFETIME_MS} from '../src/balances/pipeline-marker.ts'
import {EXIT_OK, EXIT_RUNTIME} from '../src/errors.ts'
import {POLLER_CURSOR} from '../src/ingest/poller-cursor.ts'
import {formatAge, holderName} from '../src/status/alarms.ts'
import {gatherStatus, QueueProbe, type StatusReport, type StatusSources} from '../src/status/gather-status.ts'
import type {LeaseHolder} from '../src/status/status-report.ts'
import {counted} from '../src/support/counted.ts'
import {pause} from '../src/support/pause.ts'
import {formatAmount} from '../src/tokens/amounts.ts'

/** How often --watch redraws. */
const WATCH_INTERVAL_MS = 2_000
const DEFAULT_MAX_LAG = 100
/** Clear the screen, cursor home: a TTY frame replaces the last one. */
const CLEAR_SCREEN = '\u001B[2J\u001B[H'

export default class Status extends ConfioCommand<typeof Status> {
  static override summary = 'Show the poller, queue, processing, balances and beat at a glance; exit 1 when something needs a person.'
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    'Reads PostgreSQL and Redis only (the chain only with --chain): who holds the poller lease and where its cursor is, the process-transaction and beat queues, failed, unprocessed and waiting transactions and when a worker last committed one, whether balance readers trust cached balances (the pipeline marker), stale and never-read balances, open drift, the last reconcile, the balance cache outbox, and for each beat task its last run, its last success and its slots superseded in the last 24 h (never run: a newer slot came first).',
    'Exits 1, with each alarm on a line of its own, when there is no poller, its cursor has not moved for --max-cursor-age while a poller holds the lease (without --chain) or it is more than --max-lag checkpoints behind the tip (with --chain), the chain (with --chain) or Redis does not answer, jobs or transactions have failed, transactions have waited longer than --max-stall with jobs queued and no worker committing any, a balance is in open drift, or the oldest balance change not yet in Redis is older than --max-outbox-age. Exits 0 otherwise, so it serves as a health check.',
    'With --watch it redraws every 2 s until SIGINT or SIGTERM and exits with the last frame’s code; with --json as well it prints one JSON document per frame, each on one line.',
  ].join('\n\n')
  static override examples = [
    {description: 'The one screen, from PostgreSQL and Redis.', command: '<%= config.bin %> status'},
    {description: 'Also ask the chain for its tip, and alarm beyond 20 checkpoints of lag.', command: '<%= config.bin %> status --chain --max-lag 20'},
    {description: 'Keep it on screen, redrawn every 2 s, until Ctrl-C.', command: '<%= config.bin %> status --watch'},
    {description: 'A health check for a script or monitor: exit 0 healthy, 1 an alarm (each with its code and reason in the JSON).', command: '<%= config.bin %> status --json'},
  ]
  static override flags = {
    watch: Flags.boolean({summary: 'Redraw every 2 s until SIGINT/SIGTERM; with --json, one JSON document per line per frame.'}),
    chain: Flags.boolean({summary: 'Also ask the chain for its tip: the poller’s lag in checkpoints and seconds.'}),
    'max-lag': Flags.integer({min: 0, dependsOn: ['chain'], summary: `Checkpoints the cursor may be behind the tip before it is an alarm (default ${DEFAULT_MAX_LAG}).`}),
    'max-cursor-age': durationFlag({default: 60_000, minMs: 1_000, summary: 'Without --chain: how long the cursor may go without a commit while a poller holds the lease (e.g. 60s, 5m).'}),
    'max-outbox-age': durationFlag({default: 60_000, minMs: 1_000, summary: 'How old the oldest balance change not yet in Redis (cache outbox) may be.'}),
    'max-stall': durationFlag({default: 30_000, minMs: 1_000, summary: 'How long transactions may wait, with jobs queued, while no worker commits any (e.g. 30s, 2m).'}),
  }

  async run(): Promise<StatusReport | undefined> {
    const {flags} = this
    const settings = this.settings
    const queues = new QueueProbe({redis: () => this.redis(), open: (kind, choice) => this.queue(kind, choice)})
    try {
      const sources: StatusSources = {
        db: await this.db({poolMax: 4}),
        queues,
        redis: () => this.redis(),
        redisPrefix: settings.redisPrefix,
        cursorName: POLLER_CURSOR,
        // One attempt per call: status reports a chain that does not answer instead of waiting on it.
        ...(flags.chain ? {chain: this.chain({maxAttempts: 1})} : {}),
      }
      const thresholds = {maxLag: flags['max-lag'] ?? DEFAULT_MAX_LAG, maxCursorAgeMs: flags['max-cursor-age'], maxOutboxAgeMs: flags['max-outbox-age'], maxStallMs: flags['max-stall']}
      if (!flags.watch) {
        const report = await gatherStatus(sources, thresholds)
        this.settle(report)
        if (!this.jsonEnabled()) this.log(this.render(report))
        return report
      }
      // Each frame is printed as it comes; returning the last would print it twice.
      while (!this.stopSignal.aborted) {
        const started = Date.now()
        const report = await gatherStatus(sources, thresholds)
        this.settle(report)
        if (this.jsonEnabled()) this.logJson(report)
        else this.log(process.stdout.isTTY ? CLEAR_SCREEN + this.render(report) : `${this.render(report)}\n`)
        await pause(WATCH_INTERVAL_MS - (Date.now() - started), this.stopSignal)
      }
      return undefined
    } finally {
      await queues.close()
    }
  }

  /** With --watch, one JSON document per line, so a frame is a line to a reader (`jq -c`, a log shipper). */
  override logJson(json: unknown): void {
    if (!this.flags?.watch || !this.settings) return super.logJson(json)
    ux.stdout(this.settings.scrubber.scrub(JSON.stringify(json, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))))
  }

  /** The exit code is the last report's: 1 when it has an alarm. The report is still printed. */
  private settle(report: StatusReport): void {
    process.exitCode = report.healthy ? EXIT_OK : EXIT_RUNTIME
  }

  private render(r: StatusReport): string {
    const lines: string[] = []
    const head = `confio status ${when(r.checkedAt)}`
    if (r.healthy) lines.push(`${head}: healthy`)
    else {
      lines.push(`${head}: ${r.alarms.length} ${r.alarms.length === 1 ? 'alarm' : 'alarms'}`)
      const width = Math.max(...r.alarms.map((a) => a.code.length))
      for (const alarm of r.alarms) lines.push(`  ALARM ${alarm.code.padEnd(width)}  ${alarm.message}`)
    }
    lines.push('', 'Poller', ...this.pollerLines(r), '', 'Queue', ...this.queueLines(r), '', 'Processing', ...this.processingLines(r))
    lines.push('', 'Balances', ...this.balanceLines(r), '', 'Beat', ...this.beatLines(r))
    return lines.join('\n')
  }

  private pollerLines({poller, pipeline}: StatusReport): string[] {
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

  private queueLines({queue}: StatusReport): string[] {
    if (!queue.available) return [field('unavailable', queue.error)]
    const rows = queue.queues.map((q) => [q.name, String(q.waiting), String(q.active), String(q.delayed), q.failed === null ? '-' : String(q.failed)])
    return indent(formatTable(['QUEUE', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED'], rows))
  }

  private processingLines({processing, pipeline}: StatusReport): string[] {
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

  private balanceLines({balances, pipeline}: StatusReport): string[] {
    const {drift, lastReconcile: run, cacheOutbox} = balances
    const lines = [
      field('cached values', trustLine(pipeline.marker)),
      field('rows', `${balances.rows}: ${balances.stale} stale, ${balances.withoutBase} never read from the chain`),
      field('open drift', String(drift.open)),
    ]
    if (drift.largest.length > 0) {
      const rows = drift.largest.map((d) => [
        d.email ?? d.address,
        d.token,
        d.cached === null ? '-' : this.amount(d.cached, d.token),
        this.amount(d.chain, d.token),
        `${d.difference > 0n ? '+' : ''}${this.amount(d.difference, d.token)}`,
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

  private beatLines({beat}: StatusReport): string[] {
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
    if (!beat.scheduleKnown) lines.push('  (next runs unknown: status has no beat schedule to compute them from)')
    return lines
  }

  /** In the token's display units; a token not registered here in base units. */
  private amount(value: bigint, token: string): string {
    const decimals = this.settings.tokens.bySymbol(token)?.decimals
    return decimals === undefined ? `${value} (base units)` : formatAmount(value, decimals)
  }
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
