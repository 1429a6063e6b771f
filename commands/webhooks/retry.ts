import {Flags} from '@oclif/core'
import {ConfioCommand} from '../../cli/base-command.ts'
import {UsageError} from '../../src/errors.ts'
import {retryDeliveries, unknownDeliveries} from '../../src/webhooks/webhook-deliveries.ts'

export default class WebhooksRetry extends ConfioCommand<typeof WebhooksRetry> {
  static override summary = 'Send webhook events again: the failed ones, or those named.'
  static override description = [
    'Makes the events due now, each with a new 24 hours of retries; a running worker sends them within a second. Each keeps its id and body, so a receiver that got one before recognizes it. A delivered event named with --id is sent again too (for a receiver that lost it).',
  ].join('\n\n')
  static override examples = [
    {description: 'Every failed event, after the receiver is fixed.', command: '<%= config.bin %> webhooks retry --all-failed'},
    {description: 'One event.', command: '<%= config.bin %> webhooks retry --id 3f1c2a9e-5b7d-4e8a-9c0f-1a2b3c4d5e6f'},
  ]
  static override flags = {
    id: Flags.string({summary: 'An event to send again (repeatable).', multiple: true, exactlyOne: ['id', 'all-failed']}),
    'all-failed': Flags.boolean({summary: 'Every event kept as failed.', exactlyOne: ['id', 'all-failed']}),
  }

  async run(): Promise<{retried: string[]}> {
    const db = await this.db()
    const ids = this.flags.id
    if (ids !== undefined) {
      const unknown = await unknownDeliveries(db, ids)
      if (unknown.length > 0) throw new UsageError(`no webhook event has the id ${unknown.join(', ')}`, {remedy: 'see the ids with `confio webhooks list`'})
    }
    const retried = await retryDeliveries(db, ids)
    if (!this.jsonEnabled()) this.log(retried.length === 0 ? 'No failed webhook events.' : `${retried.length} webhook event(s) due again; a running worker sends them.`)
    return {retried}
  }
}
