// leases: one row per lease (the poller's, under its cursor's name, and the beat's). A lease is held
// only until expires_at unless its holder renews it, so a holder that is stopped, paused or cut off
// from the database loses it to a standby however long PostgreSQL keeps its connection open. Every
// time is PostgreSQL's now(), never a client's clock. token grows by one at every change of holder
// and is never reset (the row is never deleted): the poller's commits check it in their own
// transaction (the fence), so a holder that lost the lease writes nothing. The rest says who holds
// it, for `confio status` and the on-call engineer.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE leases (
      name             text PRIMARY KEY,
      holder           text NOT NULL,
      token            bigint NOT NULL,
      expires_at       timestamptz NOT NULL,
      acquired_at      timestamptz NOT NULL,
      renewed_at       timestamptz NOT NULL,
      -- Whether the holder's lease connection also holds the lease's advisory lock: when it does
      -- and the lock is free, that connection is gone and a standby need not wait for expires_at.
      session_lock     boolean NOT NULL DEFAULT false,
      backend_pid      integer NOT NULL,
      backend_start    timestamptz,
      client_addr      inet,
      application_name text,
      db_user          text,
      host             text,
      pid              integer
    )
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE leases`)
}
