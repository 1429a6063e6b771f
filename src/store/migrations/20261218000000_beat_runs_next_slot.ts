// beat_runs.next_slot_start: when the run's task is due next under the schedule of the beat that
// recorded the run (the slot after this one). A beat's intervals are its own flags, which nothing
// else knows; written with each run, they let `confio status` show every task's next run. Null for
// runs recorded before this column (their next run is shown as unknown).
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE beat_runs ADD COLUMN next_slot_start timestamptz`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE beat_runs DROP COLUMN next_slot_start`)
}
