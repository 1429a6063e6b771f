// Serves the SDK's sui.rpc.v2 service descriptors on @grpc/grpc-js. adaptService
// (@protobuf-ts/grpc-backend) gives the method table and unary calls; this file adds what it lacks:
//  - a serializer that passes pre-encoded replies (Buffers) through untouched, so sealed
//    checkpoints are encoded once (wire.ts, checkpoint-cache.ts);
//  - its own server-streaming path: adaptService ends a failed stream with call.destroy(err),
//    after which grpc-js sends no status and the client waits forever, so streams here end with
//    call.emit('error', {code, details}) carrying a numeric status;
//  - fault injection and call counting in front of every method (faults.ts).
import * as grpc from '@grpc/grpc-js'
import {adaptService} from '@protobuf-ts/grpc-backend'
import {RpcError, type ServerCallContext, type ServiceInfo} from '@protobuf-ts/runtime-rpc'
import type {Faults, FaultStatus} from './faults.ts'

// The request and reply types vary per method; this is the protobuf edge.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type UnaryMethod = (request: any, context: ServerCallContext) => Promise<any>
export type StreamingMethod = (request: any, sink: FrameSink) => Promise<void>
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface ServiceParts {
  info: ServiceInfo
  unary?: Record<string, UnaryMethod>
  streaming?: Record<string, StreamingMethod>
}

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

  /**
   * Sends the response headers now. A Rust node (tonic) sends them as soon as a stream is set up;
   * grpc-js would wait for the first frame, so a client could not tell a live subscription from a
   * stuck one.
   */
  open(): void {
    if (!this.#closed) this.#call.sendMetadata(new grpc.Metadata())
  }

  /** Sends one frame; false once the stream is closed (by the client, a fault or an error). */
  async send(frame: unknown): Promise<boolean> {
    if (this.#closed) return false
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
    this.#close()
    this.#call.end()
  }

  fail(status: keyof typeof grpc.status, details: string): void {
    if (this.#closed) return
    this.#close()
    this.#call.emit('error', {code: grpc.status[status], details})
  }

  #close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const listener of this.#cancelListeners.splice(0)) listener()
  }
}

export async function listen(services: ServiceParts[], faults: Faults, port: number): Promise<{server: grpc.Server; port: number}> {
  const server = new grpc.Server()
  for (const service of services) {
    const [definition, implementation] = adaptService(service.info, unaryImplementation(service))
    passThroughPreEncoded(definition)
    for (const method of service.info.methods) {
      const handler = method.serverStreaming
        ? streamingHandler(method.name, service.streaming?.[method.localName], faults)
        : guardedUnary(method.name, implementation[method.localName] as grpc.handleUnaryCall<unknown, unknown>, faults)
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

function passThroughPreEncoded(definition: grpc.ServiceDefinition): void {
  for (const method of Object.values(definition)) {
    const encode = method.responseSerialize
    method.responseSerialize = (value: unknown) => (Buffer.isBuffer(value) ? value : encode(value))
  }
}

function guardedUnary(name: string, handler: grpc.handleUnaryCall<unknown, unknown>, faults: Faults): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    void faults.admit(name, tokenOf(call.metadata)).then((rejection) => {
      if (rejection) callback({code: grpc.status[rejection.status], details: rejection.details})
      else handler(call, callback)
    })
  }
}

function streamingHandler(name: string, method: StreamingMethod | undefined, faults: Faults): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const sink = new FrameSink(call, faults.streamLimit(name))
    void faults.admit(name, tokenOf(call.metadata)).then(async (rejection) => {
      if (rejection) return sink.fail(rejection.status, rejection.details)
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

function tokenOf(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get('x-token')[0]
  return value === undefined ? undefined : value.toString()
}
