// raw_blockchain_events.queued_at is gone. The poller set it with an UPDATE of every row it had
// just inserted, once the row's job was in Redis: a second version of each row (its JSON columns
// copied) and new entries in each of its indexes, which cost PostgreSQL about as much CPU as the
// insert itself. The outbox no longer needs it: it asks Redis whether each unprocessed event's job
// exists (1,000 per script run), which it already did for every event it found queued.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE raw_blockchain_events DROP COLUMN queued_at')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE raw_blockchain_events ADD COLUMN queued_at timestamptz')
}
