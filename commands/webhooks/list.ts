import {Flags} from '@oclif/core'
import {ConfioCommand} from '../../cli/base-command.ts'
import {renderDeliveries} from '../../cli/render/webhooks-screen.ts'
import {type DeliveryListing, listDeliveries} from '../../src/webhooks/webhook-deliveries.ts'

export default class WebhooksList extends ConfioCommand<typeof WebhooksList> {
  static override summary = 'List the webhook events not delivered yet, or only the failed ones.'
  static override description = [
    'An event is retried with backoff for 24 hours after it was queued; one the receiver never acknowledged by then is kept as failed. Both kinds are listed here, oldest first, with the last error; `confio webhooks retry` sends them again.',
  ].join('\n\n')
  static override examples = [
    {description: 'Every event still waiting or failed.', command: '<%= config.bin %> webhooks list'},
    {description: 'Only the failed ones, as JSON.', command: '<%= config.bin %> webhooks list --failed --json'},
  ]
  static override flags = {
    failed: Flags.boolean({summary: 'Only the events kept as failed.'}),
    limit: Flags.integer({summary: 'List at most this many.', default: 100, min: 1, max: 100_000}),
  }

  async run(): Promise<{deliveries: DeliveryListing[]}> {
    const deliveries = await listDeliveries(await this.db(), {failedOnly: this.flags.failed, limit: this.flags.limit})
    if (!this.jsonEnabled()) this.log(renderDeliveries(deliveries, this.flags.failed))
    return {deliveries}
  }
}
