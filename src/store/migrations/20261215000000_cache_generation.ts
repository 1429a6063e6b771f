// cache_generation: one row, the generation every balance copy in Redis must carry to be served
// (src/balances/cache-generation.ts). `confio migrate` and `confio cache reset` move it on, so
// after PostgreSQL is restored, or fails over losing commits, no copy Redis kept of a state
// PostgreSQL no longer has (a version it may reach again with other values) is trusted.
// A generation is a time in ms (PostgreSQL's clock) or one more than the last, whichever is
// higher: a backup restored to an older generation moves on past every generation used since.
//
// balance_cache_outbox gains attempts and retry_at: a row the relay could neither write to Redis
// nor delete there waits until retry_at (growing with each attempt) while the others go on.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE cache_generation (
      id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
      generation bigint NOT NULL CHECK (generation > 0),
      changed_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO cache_generation (generation) VALUES ((extract(epoch FROM clock_timestamp()) * 1000)::bigint);

    ALTER TABLE balance_cache_outbox ADD COLUMN attempts integer NOT NULL DEFAULT 0, ADD COLUMN retry_at timestamptz;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE balance_cache_outbox DROP COLUMN retry_at, DROP COLUMN attempts;
    DROP TABLE cache_generation;
  `)
}
