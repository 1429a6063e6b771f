// What confio guarantees of each account's history, and how the poller keeps that promise when an
// account is added while it runs.
//
//   monitored_from  every relevant transaction of the account from this checkpoint on is stored.
//                   Set when the row is written (or an account comes back) to the checkpoint after
//                   the poller's cursor, read in the same transaction; moved back by a backfill.
//                   NULL: added before any cursor existed (or before this column): its history is
//                   what the poller has stored since it first ran, with nothing to fill.
//   live_from       the first checkpoint the poller read (screened and decided) with the account
//                   in its monitored set (written by the poller when it picks the account up;
//                   NULL until then).
//   filled_through  the last checkpoint before live_from up to which the poller (or a backfill) has
//                   stored the account's history by a separate read; NULL: none yet.
//
// The history is complete when filled_through >= live_from - 1 (or monitored_from = live_from);
// until then the poller fills monitored_from .. live_from - 1 for that account before it commits
// further, so an account added between two of the poller's refreshes loses nothing.
//
// The cursor's name, 'checkpoints', is the poller's (POLLER_CURSOR, src/ingest/poller-cursor.ts).
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts ADD COLUMN monitored_from numeric(20, 0);
    ALTER TABLE accounts ADD COLUMN live_from numeric(20, 0);
    ALTER TABLE accounts ADD COLUMN filled_through numeric(20, 0);

    CREATE FUNCTION accounts_membership() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      cursor_at numeric;
    BEGIN
      SELECT checkpoint INTO cursor_at FROM ingest_cursors WHERE name = 'checkpoints';
      IF TG_OP = 'INSERT' THEN
        NEW.monitored_from := coalesce(NEW.monitored_from, cursor_at + 1);
        NEW.live_from := NULL;
        NEW.filled_through := NULL;
      ELSIF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
        -- Removed: its history is complete up to the cursor if the poller had it complete by then.
        -- That is where a fill starts if it comes back. (An account without monitored_from has been
        -- in the poller's set since it first ran: complete up to the cursor, from there on.)
        IF OLD.monitored_from IS NULL AND cursor_at IS NOT NULL THEN
          NEW.monitored_from := cursor_at + 1;
          NEW.filled_through := cursor_at;
        ELSIF OLD.live_from IS NOT NULL AND cursor_at IS NOT NULL AND OLD.live_from <= cursor_at + 1
           AND coalesce(OLD.filled_through, OLD.monitored_from - 1) >= OLD.live_from - 1 THEN
          NEW.filled_through := greatest(cursor_at, coalesce(OLD.filled_through, cursor_at));
        END IF;
        NEW.live_from := NULL;
      ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
        NEW.monitored_from := coalesce(NEW.monitored_from, cursor_at + 1);
        NEW.live_from := NULL;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER accounts_membership BEFORE INSERT OR UPDATE OF deleted_at ON accounts
      FOR EACH ROW EXECUTE FUNCTION accounts_membership();
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER accounts_membership ON accounts;
    DROP FUNCTION accounts_membership();
    ALTER TABLE accounts DROP COLUMN filled_through;
    ALTER TABLE accounts DROP COLUMN live_from;
    ALTER TABLE accounts DROP COLUMN monitored_from;
  `)
}
