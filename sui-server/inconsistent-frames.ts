// Checkpoint replies that cannot be one checkpoint (issue 30): a frame whose `checkpoint` comes in a
// second occurrence naming another sequence number. Valid protobuf, which the SDK's decoder merges
// into one checkpoint (the last number wins); confio's reader refuses it, and the poller must stop
// before storing anything of that checkpoint (test/ingest/poll.test.ts).
import {GrpcTypes} from '@mysten/sui/grpc'

import {messageField, uint64Field} from './wire.ts'

/** The field that holds the checkpoint in each method's reply. */
const CHECKPOINT_FIELD: Record<string, {no: number; sequenceOf(bytes: Uint8Array): bigint | undefined}> = {
  GetCheckpoint: {no: 1, sequenceOf: (bytes) => GrpcTypes.GetCheckpointResponse.fromBinary(bytes).checkpoint?.sequenceNumber},
  ListCheckpoints: {no: 1, sequenceOf: (bytes) => GrpcTypes.ListCheckpointsResponse.fromBinary(bytes).checkpoint?.sequenceNumber},
  SubscribeCheckpoints: {no: 2, sequenceOf: (bytes) => GrpcTypes.SubscribeCheckpointsResponse.fromBinary(bytes).checkpoint?.sequenceNumber},
}

/** How far off the second occurrence's sequence number is. */
const OFFSET = 1_000_000n

/** The reply, with a second `checkpoint` occurrence when it holds checkpoint `at`. */
export function inconsistentFrame(method: string, reply: Buffer, at: bigint): Buffer {
  const field = CHECKPOINT_FIELD[method]
  if (field === undefined || field.sequenceOf(reply) !== at) return reply
  return Buffer.concat([reply, messageField(field.no, uint64Field(1, at + OFFSET))])
}
