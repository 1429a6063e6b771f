import {ConfioCommand, WORKER_STOP_GRACE_MS} from '../../cli/base-command.ts'
import {metricsPortFlag} from '../../cli/pipeline-flags.ts'
import {requiredWebhooks, WebhookProcess, type WebhookProcessResult} from '../../src/processes/webhook-process.ts'

export default class WebhooksSend extends ConfioCommand<typeof WebhooksSend> {
  static override summary = 'Send queued webhook events, in a process of its own, until stopped.'
  static override description = [
    'Workers send the events they queue themselves; started with --no-webhook-sender they only queue them, and this process sends them, so that a busy worker does not share its CPU with the sending. Any number may run: each claims the events it sends, none is sent by two at once. Retries, signatures and the 24-hour limit are the same as from a worker (docs/webhooks.md).',
    'Needs WEBHOOK_URL and WEBHOOK_SECRET. Runs until SIGTERM or SIGINT: no new event is taken, those in flight get a few seconds, the rest are handed back for the next sender.',
  ].join('\n\n')
  static override examples = [
    {description: 'Send events with metrics on port 9187.', command: '<%= config.bin %> webhooks send --metrics-port 9187'},
  ]
  static override flags = {
    'metrics-port': metricsPortFlag,
  }

  async run(): Promise<WebhookProcessResult> {
    const webhooks = requiredWebhooks(this.settings)
    const db = await this.db()
    const metrics = await this.serveMetrics('webhooks')
    const sender = new WebhookProcess({settings: this.settings, db, metrics, logger: this.logger}, webhooks, {stopGraceMs: WORKER_STOP_GRACE_MS})
    const result = await sender.run(this.stopSignal)
    if (!this.jsonEnabled()) this.log(`Stopped sending webhook events to ${result.url} (${result.stoppedBy}).`)
    return result
  }
}
