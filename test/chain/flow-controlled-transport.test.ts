import assert from 'node:assert/strict'
import {createServer, connect, type Server} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'
import {ChannelCredentials} from '@grpc/grpc-js'
import {GrpcTypes} from '@mysten/sui/grpc'
import {GrpcTransport} from '@protobuf-ts/grpc-transport'
import type {MethodInfo, RpcTransport} from '@protobuf-ts/runtime-rpc'

import {FlowControlledGrpcTransport} from '../../src/chain/transport/flow-controlled-transport.ts'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'

const CHECKPOINTS = 400
const READ_FIRST = 5

/** ListCheckpoints whose reply "decoder" only counts: frames taken off the connection. */
function countingListCheckpoints(): {method: MethodInfo<object, {size: number}>; received: () => number} {
  let received = 0
  const original = GrpcTypes.LedgerService.methods.find((m) => m.name === 'ListCheckpoints') as MethodInfo
  const O = {typeName: original.O.typeName, fromBinary: (bytes: Uint8Array) => ({size: bytes.length, n: ++received}), is: (_: unknown): _ is {size: number} => true}
  return {method: {...original, O} as unknown as MethodInfo<object, {size: number}>, received: () => received}
}

/** Reads READ_FIRST frames of a long stream, stalls, and says how many frames arrived meanwhile. */
async function framesTakenWhileStalled(transport: RpcTransport): Promise<{consumed: number; received: number}> {
  const {method, received} = countingListCheckpoints()
  const abort = new AbortController()
  const request = GrpcTypes.ListCheckpointsRequest.create({startCheckpoint: 1n, endCheckpoint: BigInt(CHECKPOINTS + 1), options: {limit: 1000}})
  const call = transport.serverStreaming(method, request, transport.mergeOptions({abort: abort.signal}))
  let consumed = 0
  try {
    for await (const _ of call.responses) {
      consumed += 1
      if (consumed === READ_FIRST) break
    }
    // The node could send the whole range in this time many times over.
    await sleep(400)
    return {consumed, received: received()}
  } finally {
    abort.abort()
  }
}

describe('chain: flow-controlled server streams', function () {
  this.timeout(20_000)
  let server: SuiTestServer
  const host = (): string => `127.0.0.1:${server.port}`

  before(async () => {
    server = await startSuiServer()
    for (let i = 0; i < CHECKPOINTS; i++) {
      const [from, to] = [server.ledger.createAddress(), server.ledger.createAddress()]
      server.ledger.mint(from, '0x2::sui::SUI', 1_000_000_000n)
      server.ledger.mint(to, '0x2::sui::SUI', 1n)
      server.ledger.produceCheckpoint()
    }
  })
  after(() => server.close())

  it('takes frames off the connection only as the consumer reads them', async () => {
    const transport = new FlowControlledGrpcTransport({host: host(), channelCredentials: ChannelCredentials.createInsecure()})
    try {
      const {consumed, received} = await framesTakenWhileStalled(transport)
      assert.equal(consumed, READ_FIRST)
      // grpc-js' Readable holds up to 16 frames ahead of the reader; the rest wait on the node.
      assert.ok(received <= READ_FIRST + 17, `${received} frames taken off the connection for ${consumed} read`)
    } finally {
      transport.close()
    }
  })

  it("(the same stall through protobuf-ts' transport queues the whole stream)", async () => {
    const transport = new GrpcTransport({host: host(), channelCredentials: ChannelCredentials.createInsecure()})
    try {
      const {received} = await framesTakenWhileStalled(transport)
      assert.ok(received > 100, `only ${received} frames were queued: this check cannot tell the transports apart`)
    } finally {
      transport.close()
    }
  })

  it('still delivers every frame, headers and the status of a full stream', async () => {
    const transport = new FlowControlledGrpcTransport({host: host(), channelCredentials: ChannelCredentials.createInsecure()})
    try {
      const {method} = countingListCheckpoints()
      const request = GrpcTypes.ListCheckpointsRequest.create({startCheckpoint: 1n, endCheckpoint: 51n})
      const call = transport.serverStreaming(method, request, transport.mergeOptions({}))
      let frames = 0
      for await (const _ of call.responses) frames += 1
      assert.equal(frames, 51) // 50 checkpoints and the frame saying why the stream ended
      assert.equal((await call.status).code, 'OK')
      assert.ok((await call.headers)['x-sui-checkpoint-height'] !== undefined)
    } finally {
      transport.close()
    }
  })

  it('fails the iteration with the status the node sent', async () => {
    const transport = new FlowControlledGrpcTransport({host: host(), channelCredentials: ChannelCredentials.createInsecure()})
    try {
      const {method} = countingListCheckpoints()
      // The test server answers UNIMPLEMENTED for any checkpoint filter.
      const request = GrpcTypes.ListCheckpointsRequest.create({startCheckpoint: 1n, endCheckpoint: 5n, filter: {terms: [{}]}})
      const call = transport.serverStreaming(method, request, transport.mergeOptions({}))
      await assert.rejects(async () => {
        for await (const _ of call.responses);
      }, (error: {code?: string}) => error.code === 'UNIMPLEMENTED')
    } finally {
      transport.close()
    }
  })

  it('keeps server streams on a connection of their own, so no answer queues behind their frames', async () => {
    // A TCP relay in front of the node, counting the connections the transport opens.
    let connections = 0
    const relay: Server = createServer((socket) => {
      connections += 1
      const upstream = connect(server.port, '127.0.0.1')
      socket.pipe(upstream).pipe(socket)
      socket.on('error', () => upstream.destroy())
      upstream.on('error', () => socket.destroy())
    })
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
    const port = (relay.address() as {port: number}).port
    const transport = new FlowControlledGrpcTransport({host: `127.0.0.1:${port}`, channelCredentials: ChannelCredentials.createInsecure()})
    try {
      const serviceInfo = GrpcTypes.LedgerService.methods.find((m) => m.name === 'GetServiceInfo') as MethodInfo
      await transport.unary(serviceInfo, GrpcTypes.GetServiceInfoRequest.create(), transport.mergeOptions({})).response
      assert.equal(connections, 1)
      const {consumed} = await framesTakenWhileStalled(transport)
      assert.equal(consumed, READ_FIRST)
      await transport.unary(serviceInfo, GrpcTypes.GetServiceInfoRequest.create(), transport.mergeOptions({})).response
      assert.equal(connections, 2)
    } finally {
      transport.close()
      relay.close()
    }
  })
})
