// The grpc transport with flow control on server streams. protobuf-ts' GrpcTransport reads a
// server stream with a 'data' listener, which puts grpc-js' stream in flowing mode: every frame
// the node sends is read off the socket at once and queued until the consumer takes it. During a
// catch-up the node (ListCheckpoints, up to 1,000 checkpoints a stream) is faster than the
// committer, so a whole stream could wait in that queue. Here the frames are pulled instead:
// grpc-js asks HTTP/2 for the next message only when the consumer wants one (its Readable's
// `_read`), so what waits is the Readable's 16 frames plus at most the HTTP/2 flow-control
// window, and the node is held back by TCP rather than the poller's memory.
//
// Every other call goes through protobuf-ts' GrpcTransport, so unary calls, metadata, deadlines
// and abort behave as they always did; over a connection of its own, beside the streams' one
// (see the constructor).
import {Channel, Client, Metadata, status as GrpcStatus} from '@grpc/grpc-js'
import type {CallOptions, ClientReadableStream, ServiceError} from '@grpc/grpc-js'
import {GrpcTransport} from '@protobuf-ts/grpc-transport'
import type {GrpcOptions} from '@protobuf-ts/grpc-transport'
import {Deferred, RpcError, ServerStreamingCall} from '@protobuf-ts/runtime-rpc'
import type {ClientStreamingCall, DuplexStreamingCall, MethodInfo, RpcMetadata, RpcOptions, RpcOutputStream, RpcStatus, RpcTransport, UnaryCall} from '@protobuf-ts/runtime-rpc'

export class FlowControlledGrpcTransport implements RpcTransport {
  readonly #inner: GrpcTransport
  readonly #client: Client
  readonly #streams: Channel

  constructor(options: GrpcOptions) {
    const channel = new Channel(options.host, options.channelCredentials, options.clientOptions ?? {})
    this.#inner = new GrpcTransport({...options, clientOptions: {...options.clientOptions, channelOverride: channel}})
    // Server streams get a connection of their own ('grpc.use_local_subchannel_pool': a channel
    // that shares no connection with the other). During a catch-up a stream keeps the TCP buffers
    // between the node and the poller full of checkpoint frames, and an answer on the same
    // connection queues behind them: a unary call then took 100-300 ms instead of ~10 (bench:poll,
    // the poller's details fetches), and each commit waits for its batch's details.
    const streams = new Channel(options.host, options.channelCredentials, {...options.clientOptions, 'grpc.use_local_subchannel_pool': 1})
    this.#streams = streams
    this.#client = new Client(options.host, options.channelCredentials, {channelOverride: streams})
  }

  mergeOptions(options?: Partial<RpcOptions>): RpcOptions {
    return this.#inner.mergeOptions(options)
  }

  unary<I extends object, O extends object>(method: MethodInfo<I, O>, input: I, options: RpcOptions): UnaryCall<I, O> {
    return this.#inner.unary(method, input, options)
  }

  clientStreaming<I extends object, O extends object>(method: MethodInfo<I, O>, options: RpcOptions): ClientStreamingCall<I, O> {
    return this.#inner.clientStreaming(method, options)
  }

  duplex<I extends object, O extends object>(method: MethodInfo<I, O>, options: RpcOptions): DuplexStreamingCall<I, O> {
    return this.#inner.duplex(method, options)
  }

  /** Closes both channels. */
  close(): void {
    this.#inner.close()
    this.#streams.close()
  }

  serverStreaming<I extends object, O extends object>(method: MethodInfo<I, O>, input: I, options: RpcOptions): ServerStreamingCall<I, O> {
    const meta = options.meta ?? {}
    const headers = new Deferred<RpcMetadata>()
    const status = new Deferred<RpcStatus>()
    const trailers = new Deferred<RpcMetadata>()
    const call: ClientReadableStream<O> = this.#client.makeServerStreamRequest(
      `/${method.service.typeName}/${method.name}`,
      (value: I) => Buffer.from(method.I.toBinary(value, options.binaryOptions)),
      (value: Buffer) => method.O.fromBinary(value, options.binaryOptions),
      input,
      toGrpcMetadata(meta),
      callOptions(options),
    )
    options.abort?.addEventListener('abort', () => call.cancel(), {once: true})
    call.on('metadata', (value: Metadata) => headers.resolvePending(fromGrpcMetadata(value)))
    call.on('status', (value: {code: GrpcStatus; details: string; metadata: Metadata}) => {
      status.resolvePending({code: GrpcStatus[value.code], detail: value.details})
      trailers.resolvePending(fromGrpcMetadata(value.metadata))
    })
    const responses = new PulledOutputStream(call, (error) => {
      const rpcError = toRpcError(error, method)
      headers.rejectPending(rpcError)
      status.rejectPending(rpcError)
      trailers.rejectPending(rpcError)
      return rpcError
    })
    return new ServerStreamingCall(method, meta, input, headers.promise, responses, status.promise, trailers.promise)
  }
}

/**
 * The frames of one call, pulled by async iteration. The listener API of RpcOutputStream, which
 * nothing in confio uses, is kept working by switching the call to flowing mode.
 */
class PulledOutputStream<O extends object> implements RpcOutputStream<O> {
  readonly #call: ClientReadableStream<O>
  readonly #failed: (error: unknown) => RpcError

  constructor(call: ClientReadableStream<O>, failed: (error: unknown) => RpcError) {
    this.#call = call
    this.#failed = failed
    // Until the consumer iterates, an error must not go unhandled (it is rethrown when read).
    call.on('error', () => {})
  }

  async *[Symbol.asyncIterator](): AsyncIterator<O> {
    try {
      for await (const frame of this.#call) yield frame as O
    } catch (error) {
      throw this.#failed(error)
    }
  }

  onNext(callback: (message: O | undefined, error: Error | undefined, complete: boolean) => void): () => void {
    const onData = (message: O): void => callback(message, undefined, false)
    const onError = (error: unknown): void => callback(undefined, this.#failed(error), false)
    const onEnd = (): void => callback(undefined, undefined, true)
    this.#call.on('data', onData).on('error', onError).on('end', onEnd)
    return () => this.#call.off('data', onData).off('error', onError).off('end', onEnd)
  }

  onMessage(callback: (message: O) => void): () => void {
    return this.onNext((message) => message !== undefined && callback(message))
  }

  onError(callback: (reason: Error) => void): () => void {
    return this.onNext((_, error) => error !== undefined && callback(error))
  }

  onComplete(callback: () => void): () => void {
    return this.onNext((_, __, complete) => complete && callback())
  }
}

function callOptions(options: RpcOptions): CallOptions {
  if (options.timeout === undefined) return {}
  return {deadline: typeof options.timeout === 'number' ? Date.now() + options.timeout : options.timeout}
}

function toRpcError(error: unknown, method: MethodInfo): RpcError {
  const service = error as Partial<ServiceError>
  const rpcError =
    typeof service.code === 'number' && typeof service.details === 'string'
      ? new RpcError(service.details, GrpcStatus[service.code], service.metadata ? fromGrpcMetadata(service.metadata) : undefined)
      : new RpcError(error instanceof Error ? error.message : String(error))
  rpcError.methodName = method.name
  rpcError.serviceName = method.service.typeName
  return rpcError
}

/** `-bin` keys carry base64 in RpcMetadata and bytes on the wire. */
function toGrpcMetadata(meta: RpcMetadata): Metadata {
  const metadata = new Metadata()
  for (const [key, value] of Object.entries(meta)) {
    for (const one of Array.isArray(value) ? value : [value]) metadata.add(key, key.endsWith('-bin') ? Buffer.from(one, 'base64') : one)
  }
  return metadata
}

function fromGrpcMetadata(metadata: Metadata): RpcMetadata {
  const meta: RpcMetadata = {}
  for (const [key, value] of Object.entries(metadata.getMap())) meta[key] = typeof value === 'string' ? value : value.toString('base64')
  return meta
}
