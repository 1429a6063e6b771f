// What a webhook sender counts of its attempts: acknowledged by the receiver, or not (a non-2xx
// status, a timeout, a refused connection; each retried with backoff until the event's 24 hours
// are over). Plain counts read at scrape time. The backlog and the failed events are PostgreSQL's
// to say (confio_outbox_backlog, confio_webhooks_failed, served by the beat).
import {type MetricsRegistry, registerCounter} from '../support/metric-families.ts'

export class WebhookMetrics {
  #delivered = 0
  #failed = 0

  attempted(outcome: 'delivered' | 'failed'): void {
    if (outcome === 'delivered') this.#delivered += 1
    else this.#failed += 1
  }

  register(registry: MetricsRegistry): void {
    registerCounter(registry, {
      name: 'confio_webhook_attempts_total',
      help: 'Webhook requests this sender made, by outcome: delivered (a 2xx) or failed (retried later)',
      read: () => [
        {labels: {outcome: 'delivered'}, value: this.#delivered},
        {labels: {outcome: 'failed'}, value: this.#failed},
      ],
    })
  }
}
