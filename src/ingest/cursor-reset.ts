// Where `confio poll --reset-cursor N` may put the cursor: somewhere the node can serve the next
// read from. The cursor is the last checkpoint done, so the poller reads N + 1 next:
//   - N past the node's tip: the poller would wait for checkpoints the chain has not reached (on a
//     typo, for ever), reading nothing meanwhile;
//   - N + 1 below the node's lowest available checkpoint: the poller's first read finds the range
//     pruned and stops. History from before what the node keeps is backfill's work (per account,
//     from a node or archive that has it).
// Refused as backfill refuses a range the node cannot serve; `--force` skips the check (a node
// that is behind, or one about to be replaced).
import type {ServiceInfo} from '../chain/index.ts'
import {UsageError} from '../errors.ts'

/** Throws UsageError unless the node can serve the checkpoint after `to`. */
export function checkCursorTarget(to: bigint, info: Pick<ServiceInfo, 'checkpointHeight' | 'lowestAvailableCheckpoint'>): void {
  const {checkpointHeight: tip, lowestAvailableCheckpoint: lowest} = info
  if (to > tip) {
    throw new UsageError(`--reset-cursor ${to} is past the node's tip, checkpoint ${tip}: the poller would wait for checkpoints the chain has not reached`, {
      remedy: `give a checkpoint up to ${tip}, or pass --force to move the cursor there anyway`,
    })
  }
  if (to + 1n < lowest) {
    throw new UsageError(`--reset-cursor ${to} would read from checkpoint ${to + 1n}, below the node's lowest available checkpoint ${lowest} (tip ${tip})`, {
      remedy: `give a checkpoint from ${lowest - 1n} to ${tip}; for the accounts' history before it, run confio backfill against a node or archive that has it; or pass --force`,
    })
  }
}
