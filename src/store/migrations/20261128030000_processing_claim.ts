// Which worker run holds a transaction it is processing: `<host>:<pid>:<run>`. The worker reads
// back exactly the jobs its own run claimed, so a job left `processing` by a dead worker (or one
// that already stalled) can be set aside to run alone instead of in a batch (see
// job-batch-transaction.ts); for the on-call engineer it names the process behind a job stuck in
// `processing`.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE transaction_processing_log ADD COLUMN claimed_by text`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE transaction_processing_log DROP COLUMN claimed_by`)
}
