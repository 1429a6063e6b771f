// A database belongs to one chain: the chain id of the node the poller first followed is kept with
// its cursor, and a poller or reconcile pointed at a node of another chain refuses to run.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE ingest_cursors ADD COLUMN chain_id text`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE ingest_cursors DROP COLUMN chain_id`)
}
