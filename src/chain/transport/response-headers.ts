// The x-sui-* headers a fullnode sends with every sui.rpc.v2 response (sui-apis
// proto/sui/rpc/v2/README.md, "HTTP Headers"). State replies (GetBalance, ListBalances,
// ListOwnedObjects) are as of x-sui-checkpoint-height: the checkpoint from which a reader applies
// checkpoints' balance changes to keep a balance exact. Only the height is read: nothing in confio
// uses the rest yet, and a garbled header confio does not need must not fail a read.
import type {RpcMetadata} from '@protobuf-ts/runtime-rpc'

export const CHECKPOINT_HEIGHT_HEADER = 'x-sui-checkpoint-height'

const U64_MAX = 2n ** 64n - 1n

/**
 * The checkpoint a reply is as of. A missing, repeated or non-u64 header is a TypeError naming the
 * header: a value whose height is unknown cannot be kept exact.
 */
export function checkpointHeightOf(headers: RpcMetadata): bigint {
  const value = headers[CHECKPOINT_HEIGHT_HEADER]
  if (value === undefined) throw new TypeError(`${CHECKPOINT_HEIGHT_HEADER} header is missing`)
  if (typeof value !== 'string' || !/^[0-9]{1,20}$/.test(value) || BigInt(value) > U64_MAX) {
    throw new TypeError(`${CHECKPOINT_HEIGHT_HEADER} header is not a u64: ${JSON.stringify(value)}`)
  }
  return BigInt(value)
}
