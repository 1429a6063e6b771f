// beat_runs now says two more things, for the workers that run the beat's tasks side by side
// (src/beat/beat-worker.ts):
//
//   beat_runs_running_idx  at most one run per task is started and not finished: PostgreSQL itself
//                          refuses a second, so two runs of one task never overlap, whichever
//                          workers take their jobs. Runs left started by a worker that died (their
//                          job gone too) would break it; all but each task's newest are finished
//                          `failed` first, as a worker finishes such a run when its job comes back.
//   outcome 'superseded'   a slot that never ran because a newer slot of its task was scheduled
//                          first (it was `failed` with a "superseded by ..." error): `confio status`
//                          counts them apart from the runs that failed.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE beat_runs DROP CONSTRAINT beat_runs_outcome_check;
    ALTER TABLE beat_runs ADD CONSTRAINT beat_runs_outcome_check CHECK (outcome IN ('done', 'failed', 'superseded'));
    UPDATE beat_runs SET outcome = 'superseded', detail = jsonb_build_object('supersededBy', substring(detail->>'error' from '^superseded by the run of (\\S+):'))
     WHERE outcome = 'failed' AND started_at IS NULL AND detail->>'error' LIKE 'superseded by the run of %';

    UPDATE beat_runs r SET finished_at = now(), outcome = 'failed', detail = jsonb_build_object('error', 'its worker stopped mid-run; the next slot runs the task again')
     WHERE started_at IS NOT NULL AND finished_at IS NULL
       AND EXISTS (SELECT 1 FROM beat_runs n WHERE n.task = r.task AND n.slot_start > r.slot_start AND n.started_at IS NOT NULL AND n.finished_at IS NULL);
    CREATE UNIQUE INDEX beat_runs_running_idx ON beat_runs (task) WHERE started_at IS NOT NULL AND finished_at IS NULL;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX beat_runs_running_idx;
    UPDATE beat_runs SET outcome = 'failed', detail = jsonb_build_object('error', 'superseded by the run of ' || (detail->>'supersededBy') || ': no worker started it in its slot')
     WHERE outcome = 'superseded';
    ALTER TABLE beat_runs DROP CONSTRAINT beat_runs_outcome_check;
    ALTER TABLE beat_runs ADD CONSTRAINT beat_runs_outcome_check CHECK (outcome IN ('done', 'failed'));
  `)
}
