import {RuntimeFailure} from '../errors.ts'

/**
 * The node no longer has checkpoints confio still needs. Skipping them could skip a transfer, so
 * the poller stops loudly instead.
 */
export class PrunedRangeError extends RuntimeFailure {
  readonly from: bigint
  readonly lowestAvailable: bigint

  /** `remedy`: the poller's by default; a backfill names its own way out. */
  constructor(from: bigint, lowestAvailable: bigint, remedy?: string) {
    super(`checkpoints ${from} to ${lowestAvailable - 1n} are pruned on this node (lowest available: ${lowestAvailable}); confio cannot read them`, {
      code: 'CHECKPOINTS_PRUNED',
      remedy: remedy ?? `point SUI_GRPC_URL at a node or archive that still has them, or, knowing transactions in that range will not be seen, run confio poll --reset-cursor ${lowestAvailable - 1n} and then confio reconcile`,
    })
    this.from = from
    this.lowestAvailable = lowestAvailable
  }
}
