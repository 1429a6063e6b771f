// What the poller needs. It keeps the monitored addresses in memory and refreshes them every few
// seconds by reading only the accounts changed since its last look. Each row records the id of
// the transaction that last wrote it (changed_xact), kept by the database itself so every writer
// (confio, the web app) sets it: unlike a timestamp, it lets a reader tell which writers may still
// be uncommitted, so no late commit is missed and nothing is re-read for long. updated_at is for
// people. Raw events keep their place in the checkpoint, why they were stored and, for a failed
// transaction, the chain's error.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT clock_timestamp();
    ALTER TABLE accounts ADD COLUMN changed_xact xid8 NOT NULL DEFAULT pg_current_xact_id();
    CREATE INDEX accounts_changed_xact_idx ON accounts (changed_xact);
    CREATE FUNCTION accounts_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := clock_timestamp();
      NEW.changed_xact := pg_current_xact_id();
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
    ALTER TABLE accounts DROP COLUMN changed_xact;
    ALTER TABLE accounts DROP COLUMN updated_at;
  `)
}
