// The RPCs whose replies carry executed transactions (the three checkpoint RPCs and
// BatchGetTransactions), called with checkpoint-wire.ts as their reply decoder. A protobuf-ts
// transport decodes replies with `method.O.fromBinary`, so each method here is the SDK's own
// MethodInfo (same service, path, request type) with only the reply type replaced. Calls go
// through the SDK client's transport, so they carry the same metadata as every other call
// (auth, and the protocol-version header the SDK adds).
import {GrpcTypes} from '@mysten/sui/grpc'
import type {SuiGrpcClient} from '@mysten/sui/grpc'
import type {MethodInfo, RpcOptions, RpcOutputStream, RpcTransport} from '@protobuf-ts/runtime-rpc'

import {readBatchGetTransactionsResponse, readGetCheckpointResponse, readListCheckpointsResponse, readSubscribeCheckpointsResponse, WireError} from './checkpoint-wire.ts'

export type GetCheckpointReply = ReturnType<typeof readGetCheckpointResponse>
/**
 * A ListCheckpoints frame as it came off the wire, decoded (readListCheckpointsResponse) only when
 * the range reader takes it. protobuf-ts' grpc transport reads a server stream as fast as the
 * node sends it (a 'data' listener, no pause) and queues every frame until it is consumed, so
 * while the committer is slower than the node a whole stream can sit in that queue. Queued as
 * bytes, a frame costs its wire size; queued decoded, it cost several times that in small
 * objects, which lived long enough to be promoted and made the poller's GC and RSS grow with
 * the stream's length.
 */
export type ListCheckpointsFrame = {readonly bytes: Uint8Array}
export type ListCheckpointsReply = ReturnType<typeof readListCheckpointsResponse>
export type SubscribeCheckpointsReply = ReturnType<typeof readSubscribeCheckpointsResponse>
export type BatchGetTransactionsReply = ReturnType<typeof readBatchGetTransactionsResponse>

function withReader<O extends object>(service: {methods: readonly MethodInfo[]}, name: string, read: (bytes: Uint8Array) => O): MethodInfo<object, O> {
  const original = service.methods.find((m) => m.name === name)
  if (original === undefined) throw new Error(`the SDK's service has no method ${name}`)
  // The protobuf edge: transports only call fromBinary on the reply type (and grpc-js asserts
  // `is` on stream frames), so that is all this stand-in implements.
  const replyType = {typeName: original.O.typeName, fromBinary: (bytes: Uint8Array) => decodeReply(name, bytes, read), is: (_: unknown): _ is O => true}
  return {...original, O: replyType as unknown as MethodInfo<object, O>['O']} as MethodInfo<object, O>
}

/**
 * A reply that does not decode as a whole (one transaction's bad bytes are kept and named per
 * transaction instead) says so in words the call policy knows: whatever the transport makes of the
 * error, the call fails as DATA_LOSS, "malformed <Method> reply: <what>", and is not retried.
 */
function decodeReply<O>(method: string, bytes: Uint8Array, read: (bytes: Uint8Array) => O): O {
  try {
    return read(bytes)
  } catch (error) {
    throw new WireError(`malformed ${method} reply: ${error instanceof Error ? error.message : String(error)}`)
  }
}

const GET_CHECKPOINT = withReader(GrpcTypes.LedgerService, 'GetCheckpoint', readGetCheckpointResponse)
const LIST_CHECKPOINTS = withReader(GrpcTypes.LedgerService, 'ListCheckpoints', (bytes): ListCheckpointsFrame => ({bytes}))
const SUBSCRIBE_CHECKPOINTS = withReader(GrpcTypes.SubscriptionService, 'SubscribeCheckpoints', readSubscribeCheckpointsResponse)
const BATCH_GET_TRANSACTIONS = withReader(GrpcTypes.LedgerService, 'BatchGetTransactions', readBatchGetTransactionsResponse)

export class CheckpointMethods {
  readonly #transport: RpcTransport

  constructor(sui: SuiGrpcClient) {
    // The generated service clients keep the (SDK-wrapped) transport in `_transport`.
    this.#transport = (sui.ledgerService as unknown as {_transport: RpcTransport})._transport
  }

  getCheckpoint(request: GrpcTypes.GetCheckpointRequest, rpc: RpcOptions): Promise<GetCheckpointReply> {
    return this.#transport.unary(GET_CHECKPOINT, request, this.#transport.mergeOptions(rpc)).response
  }

  /** Frames undecoded: see ListCheckpointsFrame. */
  listCheckpoints(request: GrpcTypes.ListCheckpointsRequest, rpc: RpcOptions): {responses: RpcOutputStream<ListCheckpointsFrame>} {
    return this.#transport.serverStreaming(LIST_CHECKPOINTS, request, this.#transport.mergeOptions(rpc))
  }

  subscribeCheckpoints(request: GrpcTypes.SubscribeCheckpointsRequest, rpc: RpcOptions): {responses: RpcOutputStream<SubscribeCheckpointsReply>} {
    return this.#transport.serverStreaming(SUBSCRIBE_CHECKPOINTS, request, this.#transport.mergeOptions(rpc))
  }

  batchGetTransactions(request: GrpcTypes.BatchGetTransactionsRequest, rpc: RpcOptions): Promise<BatchGetTransactionsReply> {
    return this.#transport.unary(BATCH_GET_TRANSACTIONS, request, this.#transport.mergeOptions(rpc)).response
  }
}
