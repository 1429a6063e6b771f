// Balances kept exact from the chain's own balance changes (src/balances/). Each row carries:
//   base_checkpoint  the checkpoint its amount was read from the chain at (renamed from
//                    last_synced_checkpoint, which nothing wrote); NULL: never read, no base;
//   seen_checkpoint  the highest checkpoint of any processed transaction that changed it, applied
//                    or not: a chain value older than that would drop a change already counted,
//                    so it is refused;
//   version          grows with every change of the row; the Redis copy only ever moves to a
//                    higher one.
// balance_cache_outbox lists rows whose new state Redis has not been told yet, written in the
// same transaction as the change and emptied by the relay (cache-outbox-relay.ts).
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE balances RENAME COLUMN last_synced_checkpoint TO base_checkpoint;
    ALTER TABLE balances ADD COLUMN seen_checkpoint bigint, ADD COLUMN version bigint NOT NULL DEFAULT 1;

    CREATE TABLE balance_cache_outbox (
      id         bigserial PRIMARY KEY,
      account_id bigint NOT NULL,
      token      text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE balance_cache_outbox;
    ALTER TABLE balances DROP COLUMN version, DROP COLUMN seen_checkpoint;
    ALTER TABLE balances RENAME COLUMN base_checkpoint TO last_synced_checkpoint;
  `)
}
