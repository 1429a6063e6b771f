// reconcile_runs learns two outcomes. 'in-flight': the run compared no account (every one it read
// had transactions the pipeline had not processed up to the chain's height, or a change inside the
// read's height window), which is not 'agreed'. 'failed' with `error`: the run itself stopped on an
// error (the database, the node's chain id), recorded so status shows why the last run has no counts.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE reconcile_runs DROP CONSTRAINT reconcile_runs_outcome_check,
      ADD CONSTRAINT reconcile_runs_outcome_check CHECK (outcome IN ('agreed', 'drift', 'errors', 'failed', 'in-flight')),
      ADD COLUMN error text
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE reconcile_runs SET outcome = 'agreed' WHERE outcome = 'in-flight';
    ALTER TABLE reconcile_runs DROP COLUMN error, DROP CONSTRAINT reconcile_runs_outcome_check,
      ADD CONSTRAINT reconcile_runs_outcome_check CHECK (outcome IN ('agreed', 'drift', 'errors', 'failed'))
  `)
}
