// `confio webhooks send` as it runs: the webhook sender alone. A worker sends the events it queues
// itself unless started with --no-webhook-sender; an install whose workers are busy gives the
// sending its own process (and core) this way. Any number may run: each claims due rows under a
// lease (webhook-sender.ts), so no event is sent by two at once.
//
// Stop: on the signal, no new claim; requests in flight get a few seconds, then are cut off and
// their rows handed back; outcomes are recorded. The command closes PostgreSQL.
import type {ConfioConfig, WebhookSettings} from '../config/config.ts'
import {ConfigError, messageOf} from '../errors.ts'
import {type WebhookSender, webhookSenderFor} from '../webhooks/webhook-sender.ts'
import {aborted} from '../support/aborted.ts'
import type {ProcessParts} from './process-parts.ts'

export interface WebhookProcessResult {
  readonly url: string
  readonly stoppedBy: string
}

/** WEBHOOK_URL's settings; without them, before anything is opened, a configuration error. */
export function requiredWebhooks(settings: ConfioConfig): WebhookSettings {
  if (settings.webhooks === undefined) throw new ConfigError('WEBHOOK_URL', 'is not set: there is nowhere to send events', {remedy: 'set WEBHOOK_URL and WEBHOOK_SECRET (docs/webhooks.md)'})
  return settings.webhooks
}

export class WebhookProcess {
  private readonly sender: WebhookSender
  private readonly url: string

  constructor(parts: ProcessParts, webhooks: WebhookSettings, options: {stopGraceMs: number}) {
    this.sender = webhookSenderFor(webhooks, {db: parts.db, logger: parts.logger.child({stage: 'webhooks'}), stopGraceMs: options.stopGraceMs, registry: parts.metrics?.registry})
    this.url = new URL(webhooks.url).origin
  }

  /** Sends until the signal; then lets what is in flight finish and returns. */
  async run(signal: AbortSignal): Promise<WebhookProcessResult> {
    this.sender.start()
    const stoppedBy = messageOf(await aborted(signal))
    await this.sender.stop()
    return {url: this.url, stoppedBy}
  }
}
