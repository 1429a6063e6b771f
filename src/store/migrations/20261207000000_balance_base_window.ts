// A chain value's height is a window, not a point (src/chain/reader/height-window.ts): a state reply may be
// a checkpoint older or newer than the x-sui-checkpoint-height it carries. Each balance row keeps,
// beside base_checkpoint (the header of the read that set its amount), the window that read proved:
//   base_window_from  the lowest checkpoint whose changes the amount may leave out,
//   base_window_to    the highest checkpoint whose changes the amount may hold.
// The worker adds a change after base_window_to, skips one before base_window_from, and marks the
// row stale for one in between (it cannot tell whether the amount holds it). NULL (rows written
// before this migration): the window is base_checkpoint alone, as it was read then.
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE balances ADD COLUMN base_window_from bigint, ADD COLUMN base_window_to bigint')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE balances DROP COLUMN base_window_to, DROP COLUMN base_window_from')
}
