// webhook_deliveries: the webhook outbox. One row per event (a history row the worker added, a
// drift reconcile opened), written in the same transaction as what it announces, only when
// WEBHOOK_URL is set; the worker's WebhookSender (src/webhooks/webhook-sender.ts) sends it.
//   id          the event's id as receivers see it: stable across retries (they de-duplicate by it)
//   source      what the event stands for (`account_transactions:<id>`, `balance_drift:<id>`):
//               unique, so an event is queued at most once whatever runs twice
//   payload     the body's `data`, fixed when queued (retries send the same body)
//   status      pending -> delivered, or failed by a failure at or after give_up_at (24 h after
//               it was queued, or after `confio webhooks retry` made it due again)
//   next_attempt_at  when the row is due; a sender claiming it moves it a lease's length ahead
//               (claimed_by names the sender): two senders never send a row at once, and a killed
//               sender's claim lapses by itself
// Delivered rows are kept for `confio webhooks retry --id` (a receiver that lost one) until the
// daily cleanup's retention (90 days) is past; the partial indexes keep the sender's, status's and
// the cleanup's scans to the rows each looks at.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE webhook_deliveries (
      id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      source          text NOT NULL UNIQUE,
      type            text NOT NULL CHECK (type IN ('account.transaction', 'balance.drift')),
      payload         jsonb NOT NULL,
      status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts        integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      claimed_by      text,
      last_error      text,
      created_at      timestamptz NOT NULL DEFAULT now(),
      give_up_at      timestamptz NOT NULL DEFAULT now() + interval '24 hours',
      delivered_at    timestamptz
    );
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_failed_idx ON webhook_deliveries (created_at) WHERE status = 'failed';
    CREATE INDEX webhook_deliveries_delivered_idx ON webhook_deliveries (delivered_at) WHERE status = 'delivered';
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE webhook_deliveries`)
}
