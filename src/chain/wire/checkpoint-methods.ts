// The RPCs whose replies carry executed transactions (the three checkpoint RPCs and
// BatchGetTransactions), called with checkpoint-wire.ts as their reply decoder. A protobuf-ts
// transport decodes replies with `method.O.fromBinary`, so each method here is the SDK's own
// MethodInfo (same service, path, request type) with only the reply type replaced. Calls go
// through the SDK client's transport, so they carry the same metadata as every other call
// (auth, and the protocol-version header the SDK adds).
import {GrpcTypes} from '@mysten/sui/grpc'
import type {SuiGrpcClient} from '@mysten/sui/grpc'
import type {MethodInfo, RpcOptions, RpcOutputStream, RpcTransport} from '@protobuf-ts/runtime-rpc'

import {readBatchGetTransactionsResponse, readGetCheckpointResponse, readListCheckpointsResponse, readSubscribeCheckpointsResponse} from './checkpoint-wire.ts'
import {WireError} from './wire-reader.ts'
import type {WireObserver} from './wire-observer.ts'

export type GetCheckpointReply = ReturnType<typeof readGetCheckpointResponse>
/**
 * A ListCheckpoints frame as it came off the wire, decoded (readListCheckpointsResponse) only when
 * the range reader takes it. The transport pulls frames as they are read
 * (flow-controlled-transport.ts), but grpc-js still holds up to 16 ahead of the reader: queued as
 * bytes, a frame costs its wire size; queued decoded, it cost several times that in small objects,
 * which lived long enough to be promoted and made the poller's GC work harder.
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

const LIST_CHECKPOINTS = withReader(GrpcTypes.LedgerService, 'ListCheckpoints', (bytes): ListCheckpointsFrame => ({bytes}))

export class CheckpointMethods {
  readonly #transport: RpcTransport
  // Per reader: what the wire reader meets and does not know is reported to this reader's metrics and logger.
  readonly #getCheckpoint: MethodInfo<object, GetCheckpointReply>
  readonly #subscribeCheckpoints: MethodInfo<object, SubscribeCheckpointsReply>
  readonly #batchGetTransactions: MethodInfo<object, BatchGetTransactionsReply>

  constructor(sui: SuiGrpcClient, observer: WireObserver) {
    // The generated service clients keep the (SDK-wrapped) transport in `_transport`.
    this.#transport = (sui.ledgerService as unknown as {_transport: RpcTransport})._transport
    this.#getCheckpoint = withReader(GrpcTypes.LedgerService, 'GetCheckpoint', (bytes) => readGetCheckpointResponse(bytes, observer))
    this.#subscribeCheckpoints = withReader(GrpcTypes.SubscriptionService, 'SubscribeCheckpoints', (bytes) => readSubscribeCheckpointsResponse(bytes, observer))
    this.#batchGetTransactions = withReader(GrpcTypes.LedgerService, 'BatchGetTransactions', (bytes) => readBatchGetTransactionsResponse(bytes, observer))
  }

  getCheckpoint(request: GrpcTypes.GetCheckpointRequest, rpc: RpcOptions): Promise<GetCheckpointReply> {
    return this.#transport.unary(this.#getCheckpoint, request, this.#transport.mergeOptions(rpc)).response
  }

  /** Frames undecoded: see ListCheckpointsFrame. */
  listCheckpoints(request: GrpcTypes.ListCheckpointsRequest, rpc: RpcOptions): {responses: RpcOutputStream<ListCheckpointsFrame>} {
    return this.#transport.serverStreaming(LIST_CHECKPOINTS, request, this.#transport.mergeOptions(rpc))
  }

  subscribeCheckpoints(request: GrpcTypes.SubscribeCheckpointsRequest, rpc: RpcOptions): {responses: RpcOutputStream<SubscribeCheckpointsReply>} {
    return this.#transport.serverStreaming(this.#subscribeCheckpoints, request, this.#transport.mergeOptions(rpc))
  }

  batchGetTransactions(request: GrpcTypes.BatchGetTransactionsRequest, rpc: RpcOptions): Promise<BatchGetTransactionsReply> {
    return this.#transport.unary(this.#batchGetTransactions, request, this.#transport.mergeOptions(rpc)).response
  }
}
