// What `confio reconcile`, `confio beat` and `confio status` keep:
//   balance_drift   one open record per (account, token) whose cached balance disagreed with the
//                   chain: first and last time seen, how many runs saw it, both amounts and the
//                   difference (chain - cached). A later run that agrees closes it, so the same
//                   drift is one record, not one alert per run.
//   reconcile_runs  each run's summary, for status and for the operator.
//   beat_runs       each scheduled run of a beat task, keyed by its slot: the key that makes two
//                   beats (or a beat restarted) schedule a run at most once.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE balance_drift (
      id               bigserial PRIMARY KEY,
      account_id       bigint NOT NULL REFERENCES accounts(id),
      token            text NOT NULL,
      first_seen       timestamptz NOT NULL DEFAULT now(),
      last_seen        timestamptz NOT NULL DEFAULT now(),
      runs             integer NOT NULL DEFAULT 1,
      cached_amount    numeric(39,0),
      chain_amount     numeric(39,0) NOT NULL,
      difference       numeric(40,0) NOT NULL,
      chain_checkpoint bigint NOT NULL,
      closed_at        timestamptz
    );
    CREATE UNIQUE INDEX balance_drift_open_idx ON balance_drift (account_id, token) WHERE closed_at IS NULL;

    CREATE TABLE reconcile_runs (
      id          bigserial PRIMARY KEY,
      started_at  timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      trigger     text NOT NULL CHECK (trigger IN ('manual', 'beat')),
      dry_run     boolean NOT NULL DEFAULT false,
      selected    integer NOT NULL DEFAULT 0,
      checked     integer NOT NULL DEFAULT 0,
      in_flight   integer NOT NULL DEFAULT 0,
      in_drift    integer NOT NULL DEFAULT 0,
      errors      integer NOT NULL DEFAULT 0,
      outcome     text CHECK (outcome IN ('agreed', 'drift', 'errors', 'failed'))
    );

    CREATE TABLE beat_runs (
      task        text NOT NULL,
      slot_start  timestamptz NOT NULL,
      enqueued_at timestamptz NOT NULL DEFAULT now(),
      started_at  timestamptz,
      finished_at timestamptz,
      outcome     text CHECK (outcome IN ('done', 'failed')),
      detail      jsonb,
      PRIMARY KEY (task, slot_start)
    );

    CREATE INDEX balances_check_idx ON balances (last_blockchain_check NULLS FIRST);
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX balances_check_idx;
    DROP TABLE beat_runs;
    DROP TABLE reconcile_runs;
    DROP TABLE balance_drift;
  `)
}
