// Measures how many 60-transaction checkpoints per second a client reads with GetCheckpoint from a
// spawned server (own process, so the server and the client each have a core):
//  - "raw": a bare grpc-js client that keeps the reply bytes: what the server can serve;
//  - "sdk": the real SuiGrpcClient, which also decodes every reply with protobuf-ts.
//   node sui-server/bench-read.ts [checkpoints=2000] [concurrency=16]
import * as grpc from '@grpc/grpc-js'
import {GrpcTypes, SuiGrpcClient} from '@mysten/sui/grpc'
import {GrpcTransport} from '@protobuf-ts/grpc-transport'
import {spawnSuiServer} from './spawn.ts'

const MASKS: Record<string, string[]> = {
  // What a checkpoint follower reads: senders, Move-call targets, events, balance changes, outcome.
  follower: [
    'sequence_number', 'digest', 'summary.timestamp', 'transactions.digest', 'transactions.transaction.sender',
    'transactions.transaction.kind.programmable_transaction.commands.move_call.package',
    'transactions.transaction.kind.programmable_transaction.commands.move_call.module',
    'transactions.transaction.kind.programmable_transaction.commands.move_call.function',
    'transactions.events', 'transactions.balance_changes', 'transactions.effects.status',
  ],
  // A relevance pre-filter: who sent, whose balances moved, did it succeed.
  narrow: ['sequence_number', 'digest', 'transactions.digest', 'transactions.transaction.sender', 'transactions.balance_changes', 'transactions.effects.status'],
}

const checkpoints = Number(process.argv[2] ?? 2000)
const concurrency = Number(process.argv[3] ?? 16)
const server = await spawnSuiServer()
for (const paths of Object.values(MASKS)) await server.warmReadMask(paths)
let started = performance.now()
const generated = await server.generateTraffic({checkpoints, txPerCheckpoint: [60, 60], seed: 7})
console.log(`generated and pre-encoded ${checkpoints} checkpoints in ${((performance.now() - started) / 1000).toFixed(1)} s`)

const host = `127.0.0.1:${server.port}`
// HTTP/2's default 64 KB flow-control window allows about one 55 KB checkpoint in flight per
// connection; a reader that wants throughput raises it (a client-side channel option).
const clientOptions = process.env.DEFAULT_WINDOW ? {} : {'grpc-node.flow_control_window': 16 * 1024 * 1024}
const sdk = new SuiGrpcClient({network: 'localnet', transport: new GrpcTransport({host, channelCredentials: grpc.ChannelCredentials.createInsecure(), clientOptions})})
const raw = new grpc.Client(host, grpc.ChannelCredentials.createInsecure(), clientOptions)

type Reader = (seq: bigint, paths: string[]) => Promise<number>
const readers: Record<string, Reader> = {
  raw: (seq, paths) => new Promise((resolve, reject) => {
    const request = GrpcTypes.GetCheckpointRequest.create({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: seq}, readMask: {paths}})
    raw.makeUnaryRequest('/sui.rpc.v2.LedgerService/GetCheckpoint', (r: typeof request) => Buffer.from(GrpcTypes.GetCheckpointRequest.toBinary(r)), (b: Buffer) => b, request,
      (error, bytes) => (error ? reject(error) : resolve(bytes?.length ?? 0)))
  }),
  sdk: async (seq, paths) => {
    const {response} = await sdk.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: seq}, readMask: {paths}})
    return response.checkpoint?.transactions.length ?? 0
  },
}

for (const [maskName, paths] of Object.entries(MASKS)) {
  for (const [readerName, read] of Object.entries(readers)) {
    await read(generated.firstCheckpoint, paths) // warm up the connection
    let next = generated.firstCheckpoint
    started = performance.now()
    await Promise.all(Array.from({length: concurrency}, async () => {
      while (next <= generated.lastCheckpoint) await read(next++, paths)
    }))
    const seconds = (performance.now() - started) / 1000
    console.log(`${readerName.padEnd(3)} ${maskName.padEnd(8)} ${Math.round(checkpoints / seconds)} checkpoints/s (${Math.round((checkpoints * 60) / seconds)} tx/s)`)
  }
}
raw.close()
await server.close()
