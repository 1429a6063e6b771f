import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {durationFlag} from '../cli/durations.ts'
import {renderStatus} from '../cli/render/status-screen.ts'
import {EXIT_OK, EXIT_RUNTIME} from '../src/errors.ts'
import {POLLER_CURSOR} from '../src/ingest/poller-cursor.ts'
import {gatherStatus, QueueProbe, type StatusReport, type StatusSources} from '../src/status/gather-status.ts'
import {pause} from '../src/support/pause.ts'

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
    // --watch --json: one document per frame, each a line to a reader (`jq -c`, a log shipper); an error too.
    this.jsonPerLine = flags.watch
    const queues = new QueueProbe({redis: () => this.redis(), open: (kind, choice) => this.queue(kind, choice)})
    // The queues the probe opens are the base command's: closed with the rest, in finally().
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
      if (!this.jsonEnabled()) this.log(renderStatus(report, this.amounts()))
      return report
    }
    // Each frame is printed as it comes; returning the last would print it twice.
    while (!this.stopSignal.aborted) {
      const started = Date.now()
      const report = await gatherStatus(sources, thresholds)
      this.settle(report)
      if (this.jsonEnabled()) this.logJson(report)
      else this.log(process.stdout.isTTY ? CLEAR_SCREEN + renderStatus(report, this.amounts()) : `${renderStatus(report, this.amounts())}\n`)
      await pause(WATCH_INTERVAL_MS - (Date.now() - started), this.stopSignal)
    }
    return undefined
  }

  /** The exit code is the last report's: 1 when it has an alarm. The report is still printed. */
  private settle(report: StatusReport): void {
    process.exitCode = report.healthy ? EXIT_OK : EXIT_RUNTIME
  }
}
