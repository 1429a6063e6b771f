// What the poller needs. It keeps the monitored addresses in memory and refreshes them every few
// seconds by reading only the accounts changed since its last look: that needs a change time on
// each row, kept by the database itself so every writer (confio, the web app) sets it. Raw events
// keep their place in the checkpoint, why they were stored and, for a failed transaction, the
// chain's error.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT clock_timestamp();
    CREATE INDEX accounts_updated_at_idx ON accounts (updated_at);
    CREATE FUNCTION accounts_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := clock_timestamp();
      RETURN NEW;
    END $$;
    CREATE TRIGGER accounts_touch_updated_at BEFORE UPDATE ON accounts
      FOR EACH ROW EXECUTE FUNCTION accounts_touch_updated_at();

    ALTER TABLE raw_blockchain_events ADD COLUMN tx_index integer;
    ALTER TABLE raw_blockchain_events ADD COLUMN execution_error text;
    ALTER TABLE raw_blockchain_events ADD COLUMN reasons text[] NOT NULL DEFAULT '{}';
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE raw_blockchain_events DROP COLUMN reasons;
    ALTER TABLE raw_blockchain_events DROP COLUMN execution_error;
    ALTER TABLE raw_blockchain_events DROP COLUMN tx_index;
    DROP TRIGGER accounts_touch_updated_at ON accounts;
    DROP FUNCTION accounts_touch_updated_at();
    ALTER TABLE accounts DROP COLUMN updated_at;
  `)
}
