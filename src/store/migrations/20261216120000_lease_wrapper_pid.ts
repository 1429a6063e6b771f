// leases.wrapper_pid: the pid of the bin/run.js that handed the holder over to the Node in .tools/
// (it was started by a Node older than 22.18, e.g. a systemd unit naming /usr/bin/node), null when
// the holder was started directly. That wrapper is the process systemd (or a shell) knows and
// signals, and it passes every signal on; `pid` stays the holder's own. backend_pid is the
// PostgreSQL backend serving the holder's lease connection: never the pid to stop.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE leases ADD COLUMN wrapper_pid integer`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE leases DROP COLUMN wrapper_pid`)
}
