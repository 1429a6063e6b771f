import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {beatFlags} from '../cli/pipeline-flags.ts'
import {describeBeatResult} from '../cli/render/process-summaries.ts'
import type {BeatResult} from '../src/beat/beat-scheduler.ts'
import {createBeatScheduler} from '../src/processes/beat-process.ts'
import {BeatQueue} from '../src/queue/beat-queue.ts'
import {TransactionQueue} from '../src/queue/transaction-queue.ts'

export default class Beat extends ConfioCommand<typeof Beat> {
  static override summary = 'Schedule the periodic work (stale balance refresh, reconciliation, pending expiry, cleanup) as jobs the workers run.'
  // One paragraph per string: oclif wraps each to the terminal's width, so no line breaks inside.
  static override description = [
    'Every task runs once per slot of its schedule: stale balances are read from the chain again (every --refresh-every, --refresh-limit rows, oldest first), accounts not checked within --reconcile-every are reconciled with the chain, pending amounts older than --pending-ttl are released (every --expire-every), and processed raw events and finished processing-log rows older than --retention are deleted (daily at --cleanup-at, UTC). Each run is a job on the beat queue, named <task>:<slot start>, and a row in beat_runs; `confio worker` (or `confio run`) runs it.',
    'One beat schedules at a time: a second one waits as a standby and takes over when the first stops. A beat that was down schedules the latest slot of each task it missed, once.',
    'Runs until stopped (SIGINT/SIGTERM finish the scheduling in hand), or with --once schedules what is due now and exits (for cron and tests).',
  ].join('\n\n')
  static override examples = [
    {description: 'Schedule the default tasks until stopped.', command: '<%= config.bin %> beat'},
    {description: 'Schedule what is due now, print the runs as JSON and exit.', command: '<%= config.bin %> beat --once --json'},
    {description: 'Refresh stale balances every 2 minutes and clean up at 03:30 UTC keeping 30 days.', command: '<%= config.bin %> beat --refresh-every 2m --cleanup-at 03:30 --retention 30d'},
    {description: 'Only the reconciliation, from cron.', command: '<%= config.bin %> beat --once --task reconcile'},
    {description: 'Schedule until stopped, with Prometheus metrics and probes on port 9466.', command: '<%= config.bin %> beat --metrics-port 9466'},
  ]
  static override flags = {
    ...beatFlags,
    once: Flags.boolean({summary: 'Schedule what is due now, then exit.'}),
  }

  async run(): Promise<BeatResult> {
    // With metrics, a connection more: the scrape's reads beside the scheduling.
    const metricsOn = this.settings.metricsPort !== undefined
    const db = await this.db({poolMax: metricsOn ? 3 : 2})
    const queue = await this.queue(BeatQueue)
    // The transactions queue is only counted, for the metrics.
    const transactions = metricsOn ? await this.queue(TransactionQueue) : undefined
    const metrics = await this.serveMetrics('beat')
    const beat = createBeatScheduler({settings: this.settings, db, queue, transactions, metrics, logger: this.logger}, this.flags)
    const result = await beat.run(this.stopSignal)
    if (!this.jsonEnabled()) this.log(describeBeatResult(result))
    return result
  }
}
