// The headers a fullnode sends with every sui.rpc.v2 response (sui-apis proto/sui/rpc/v2/README.md,
// "HTTP Headers"; the names are the constants of sui-rpc-api's types.rs), from the ledger as it is when a call is answered. The height is the latest sealed
// checkpoint, the one state replies are as of (ledger.ts, services/state-service.ts).
import type {Ledger} from './ledger.ts'
import {headerHeight, type StateSkew} from './state-view.ts'

/**
 * `state`: a state reply (GetBalance, ListBalances, ListOwnedObjects), which names the height its
 * state is as of (Ledger.stateHeight: behind the latest checkpoint with a state lag); `skew`: its
 * imperfection (state-view.ts) moves the height it names.
 */
export function responseHeaders(ledger: Ledger, skew?: StateSkew, state = false): Record<string, string> {
  const info = ledger.serviceInfo()
  const height = state ? ledger.stateHeight : info.checkpointHeight
  return {
    'x-sui-chain-id': info.chainId,
    'x-sui-chain': info.chain,
    'x-sui-epoch': info.epoch.toString(),
    'x-sui-checkpoint-height': headerHeight(height, skew).toString(),
    'x-sui-timestamp-ms': info.timestampMs.toString(),
    'x-sui-timestamp': new Date(Number(info.timestampMs)).toISOString(),
    'x-sui-lowest-available-checkpoint': info.lowestAvailableCheckpoint.toString(),
    // The ledger never prunes object state, only checkpoints; GetServiceInfo says the same.
    'x-sui-lowest-available-checkpoint-objects': info.lowestAvailableCheckpoint.toString(),
  }
}
