// The name the poller's progress goes by: its row in ingest_cursors, and its lease (poller-lease.ts).
// Everything that reads where the poller stands (status, reconcile, `poll --reset-cursor`) asks
// by this name. Migrations keep their own literal: they are history, frozen as they ran.

export const POLLER_CURSOR = 'checkpoints'
