// Serves the SDK's sui.rpc.v2 service descriptors on @grpc/grpc-js. adaptService
// (@protobuf-ts/grpc-backend) gives the method table and unary calls; this file adds what it lacks:
//  - a serializer that passes pre-encoded replies (Buffers) through untouched, so sealed
//    checkpoints are encoded once (wire.ts, checkpoint-cache.ts);
//  - its own server-streaming path: adaptService ends a failed stream with call.destroy(err),
//    after which grpc-js sends no status and the client waits forever, so streams here end with
//    call.emit('error', {code, details}) carrying a numeric status;
//  - fault injection and call counting in front of every method (faults.ts), and replies whose
//    transactions are sent split in two occurrences (split-messages.ts) after they are encoded;
//  - the x-sui-* response headers a fullnode sends with every reply (response-headers.ts): as
//    initial metadata on a reply or a stream, and with the status of an error the node itself
//    answers (a trailers-only response, where a client finds them in the error's metadata).
//    Faults injected in front of a method model a proxy or the network, and carry none.
import * as grpc from '@grpc/grpc-js'
import {adaptService} from '@protobuf-ts/grpc-backend'
import {RpcError, type ServerCallContext, type ServiceInfo} from '@protobuf-ts/runtime-rpc'
import type {Faults, FaultStatus} from './faults.ts'
import {inconsistentFrame} from './inconsistent-frames.ts'
import {splitReply, splittable} from './split-messages.ts'
import {STATE_METHODS, type StateSkew, tagRequest} from './state-view.ts'

// The request and reply types vary per method; this is the protobuf edge.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type UnaryMethod = (request: any, context: ServerCallContext) => Promise<any>
export type StreamingMethod = (request: any, sink: FrameSink) => Promise<void>
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface ServiceParts {
  info: ServiceInfo
  /**
   * Unary handlers read the ledger before their first await: the response headers are taken just
   * before a handler runs, so a reply is as of the height its headers report.
   */
  unary?: Record<string, UnaryMethod>
  streaming?: Record<string, StreamingMethod>
}

/** The headers the node sends with a reply, as of the moment it is called (a state reply's skew moves its height). */
export type ResponseHeaders = (skew?: StateSkew, state?: boolean) => Record<string, string>

/** An error a handler throws to answer with a gRPC status. */
export function rpcError(status: keyof typeof grpc.status, details: string): RpcError {
  return new RpcError(details, status)
}

/**
 * The sending side of a server stream: frames (messages or pre-encoded Buffers) with backpressure,
 * a frame limit from the faults, and an ending that always carries a status.
 */
export class FrameSink {
  #call: grpc.ServerWritableStream<unknown, unknown>
  #limit: {frames: number; status: FaultStatus} | undefined
  #headers: grpc.Metadata | undefined
  #headersSent = false
  #sent = 0
  #closed = false
  #cancelListeners: (() => void)[] = []

  constructor(call: grpc.ServerWritableStream<unknown, unknown>, limit?: {frames: number; status: FaultStatus}) {
    this.#call = call
    this.#limit = limit
    call.on('cancelled', () => this.#close())
    call.on('close', () => this.#close())
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Runs when the client goes away or the stream ends, so producers can stop. */
  onClose(listener: () => void): void {
    if (this.#closed) listener()
    else this.#cancelListeners.push(listener)
  }

  /** The node's response headers for this stream, taken when the call was admitted. */
  useHeaders(headers: grpc.Metadata): void {
    this.#headers = headers
  }

  /**
   * Sends the response headers now. A Rust node (tonic) sends them as soon as a stream is set up;
   * grpc-js would wait for the first frame, so a client could not tell a live subscription from a
   * stuck one.
   */
  open(): void {
    if (!this.#closed) this.#sendHeaders()
  }

  /** Sends one frame; false once the stream is closed (by the client, a fault or an error). */
  async send(frame: unknown): Promise<boolean> {
    if (this.#closed) return false
    this.#sendHeaders()
    const writable = this.#call.write(frame)
    this.#sent += 1
    if (this.#limit && this.#sent >= this.#limit.frames) {
      const {status} = this.#limit
      if (status === 'OK') this.end()
      else this.fail(status, `injected fault: stream ended after ${this.#sent} frames`)
      return false
    }
    if (!writable) await new Promise((resolve) => this.#call.once('drain', resolve))
    return !this.#closed
  }

  end(): void {
    if (this.#closed) return
    this.#sendHeaders()
    this.#close()
    this.#call.end()
  }

  /** Ends with an error status; before any frame it is a trailers-only response carrying the headers. */
  fail(status: keyof typeof grpc.status, details: string): void {
    if (this.#closed) return
    this.#close()
    const metadata = this.#headersSent ? undefined : this.#headers
    this.#headersSent = true
    this.#call.emit('error', {code: grpc.status[status], details, ...(metadata ? {metadata} : {})})
  }

  #sendHeaders(): void {
    if (this.#headersSent) return
    this.#headersSent = true
    this.#call.sendMetadata(this.#headers ?? new grpc.Metadata())
  }

  #close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const listener of this.#cancelListeners.splice(0)) listener()
  }
}

export async function listen(services: ServiceParts[], faults: Faults, port: number, headers: ResponseHeaders): Promise<{server: grpc.Server; port: number}> {
  const server = new grpc.Server()
  for (const service of services) {
    const [definition, implementation] = adaptService(service.info, unaryImplementation(service))
    passThroughPreEncoded(definition, faults)
    for (const method of service.info.methods) {
      const responseHeaders = (skew?: StateSkew) => metadataOf(faults.responseHeaders(method.name, headers(skew, STATE_METHODS.has(method.name))))
      const handler = method.serverStreaming
        ? streamingHandler(method.name, service.streaming?.[method.localName], faults, responseHeaders)
        : guardedUnary(method.name, implementation[method.localName] as grpc.handleUnaryCall<unknown, unknown>, faults, responseHeaders)
      implementation[method.localName] = handler
    }
    server.addService(definition, implementation)
  }
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p)))
  })
  return {server, port: bound}
}

/** Every method defined; the ones not built answer UNIMPLEMENTED, as a node without them does. */
function unaryImplementation(service: ServiceParts): Record<string, UnaryMethod> {
  const impl: Record<string, UnaryMethod> = {}
  for (const method of service.info.methods) {
    impl[method.localName] = service.unary?.[method.localName] ?? (async () => {
      throw rpcError('UNIMPLEMENTED', `${service.info.typeName}.${method.name} is not implemented by the confio test server`)
    })
  }
  return impl
}

/** Pre-encoded replies go out as they are; then, when the faults say so, a checkpoint named twice and a share of their transactions split. */
function passThroughPreEncoded(definition: grpc.ServiceDefinition, faults: Faults): void {
  for (const method of Object.values(definition)) {
    const encode = method.responseSerialize
    const name = method.path.slice(method.path.lastIndexOf('/') + 1)
    const serialize = (value: unknown): Buffer => (Buffer.isBuffer(value) ? value : encode(value))
    if (!splittable(name)) method.responseSerialize = serialize
    else method.responseSerialize = (value: unknown) => {
      const bytes = serialize(value)
      if (bytes === MALFORMED_REPLY) return bytes
      const at = faults.inconsistentAt
      const framed = at === undefined ? bytes : inconsistentFrame(name, bytes, at)
      return faults.splitting ? Buffer.from(splitReply(name, framed, () => faults.splitNext())) : framed
    }
  }
}

/** Field 1, length-delimited, says 5 bytes and has 1: no reply type decodes it. Sent as is (passThroughPreEncoded). */
const MALFORMED_REPLY = Buffer.from([0x0a, 0x05, 0x01])

function guardedUnary(name: string, handler: grpc.handleUnaryCall<unknown, unknown>, faults: Faults, responseHeaders: (skew?: StateSkew) => grpc.Metadata): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    void faults.admit(name, tokenOf(call.metadata)).then((rejection) => {
      if (rejection) return callback({code: grpc.status[rejection.status], details: rejection.details})
      // Taken in the same tick as the handler reads the ledger (ServiceParts.unary), with the state
      // the handler is to read from when the reply's height is to be off (state-view.ts).
      const skew = faults.stateSkew(name)
      if (skew) tagRequest(call.request, skew)
      const headers = responseHeaders(skew)
      if (faults.replyMalformed(name)) {
        call.sendMetadata(headers)
        return callback(null, MALFORMED_REPLY)
      }
      handler(call, (error, value, trailer, flags) => {
        if (!error) {
          call.sendMetadata(headers)
          return callback(null, value, trailer, flags)
        }
        // No metadata has gone out: grpc-js answers trailers-only, the headers beside the status.
        const metadata = error.metadata?.clone() ?? new grpc.Metadata()
        metadata.merge(headers)
        const details = error.details ?? ('message' in error ? error.message : undefined)
        callback({code: error.code ?? grpc.status.UNKNOWN, details, metadata})
      })
    })
  }
}

function streamingHandler(name: string, method: StreamingMethod | undefined, faults: Faults, responseHeaders: (skew?: StateSkew) => grpc.Metadata): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const sink = new FrameSink(call, faults.streamLimit(name))
    void faults.admit(name, tokenOf(call.metadata)).then(async (rejection) => {
      if (rejection) return sink.fail(rejection.status, rejection.details)
      // Taken before the method reads the ledger; a stream's headers say where it started.
      sink.useHeaders(responseHeaders())
      if (!method) return sink.fail('UNIMPLEMENTED', `${name} is not implemented by the confio test server`)
      try {
        await method(call.request, sink)
      } catch (error) {
        const {status, details} = statusOf(error)
        sink.fail(status, details)
      }
    })
  }
}

function statusOf(error: unknown): {status: keyof typeof grpc.status; details: string} {
  if (error instanceof RpcError && error.code in grpc.status) return {status: error.code as keyof typeof grpc.status, details: error.message}
  return {status: 'INTERNAL', details: error instanceof Error ? error.message : String(error)}
}

function metadataOf(headers: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata()
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value)
  return metadata
}

function tokenOf(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get('x-token')[0]
  return value === undefined ? undefined : value.toString()
}
