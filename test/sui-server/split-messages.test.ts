// The server's split switch (faults.splitMessages, sui-server/split-messages.ts): replies whose
// transactions carry `transaction` and `events` in two occurrences each. proto3 merges them, so
// the SDK's generated decoder must read the split bytes as it reads the unsplit ones.
import assert from 'node:assert/strict'
import * as grpc from '@grpc/grpc-js'
import {GrpcTypes} from '@mysten/sui/grpc'

import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {splitTransaction} from '../../sui-server/split-messages.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'

const PKG = '0x' + 'ab'.repeat(32)
const MASK = {paths: ['sequence_number', 'digest', 'summary.timestamp', 'transactions.digest', 'transactions.transaction', 'transactions.events', 'transactions.effects', 'transactions.balance_changes']}
const TX_MASK = {paths: ['digest', 'transaction', 'events', 'effects', 'balance_changes', 'checkpoint']}
const identity = (b: Buffer): Buffer => b

/** The reply's bytes as the server sent them. */
function rawUnary(client: grpc.Client, path: string, request: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(path, identity, identity, Buffer.from(request), (error, value) => (error ? reject(error) : resolve(value!)))
  })
}

/** The first `frames` frames of a server stream, as sent. */
function rawStream(client: grpc.Client, path: string, request: Uint8Array, frames: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = []
    const call = client.makeServerStreamRequest(path, identity, identity, Buffer.from(request))
    call.on('data', (frame: Buffer) => {
      out.push(frame)
      if (out.length === frames) {
        call.cancel()
        resolve(out)
      }
    })
    call.on('error', (error: grpc.ServiceError) => (error.code === grpc.status.CANCELLED ? undefined : reject(error)))
    call.on('end', () => resolve(out))
  })
}

/** Top-level occurrences of a field in an ExecutedTransaction's bytes (tags here are one byte, lengths read as varints). */
function occurrences(tx: Uint8Array, no: number): number {
  let count = 0
  for (let at = 0; at < tx.length; ) {
    const tag = tx[at++]!
    if (tag >> 3 === no) count++
    if ((tag & 7) === 0) while (tx[at++]! >= 0x80);
    else {
      let length = 0
      for (let shift = 0; ; shift += 7) {
        const byte = tx[at++]!
        length |= (byte & 0x7f) << shift
        if (byte < 0x80) break
      }
      at += length
    }
  }
  return count
}

describe('sui test server: replies with embedded messages split over two occurrences', () => {
  let sui: SuiTestServer
  let client: grpc.Client
  const digests: string[] = []
  let seq: bigint
  let alice: string

  beforeEach(async () => {
    sui = await startSuiServer({chain: 'localnet', chainId: 'test-chain'})
    client = new grpc.Client(`127.0.0.1:${sui.port}`, grpc.credentials.createInsecure())
    alice = sui.ledger.createAddress()
    sui.ledger.mint(alice, SUI_COIN_TYPE, 10_000_000_000n)
    digests.length = 0
    for (let i = 0; i < 6; i++) {
      digests.push(sui.ledger.submit({sender: alice, moveCalls: [{package: PKG, module: 'pay', function: 'pay'}], events: [{type: `${PKG}::pay::Paid`, json: {amount: String(i)}}, {type: `${PKG}::pay::Noted`, json: {n: i}}]}).digest)
    }
    seq = sui.ledger.produceCheckpoint()
  })
  afterEach(async () => {
    client.close()
    await sui.close()
  })

  /** The same call's bytes unsplit and then with every transaction split. */
  async function both<T>(call: () => Promise<T>): Promise<[T, T]> {
    sui.faults.splitMessages(0)
    const plain = await call()
    sui.faults.splitMessages(1)
    return [plain, await call()]
  }

  it('writes transaction and events in two occurrences each', () => {
    const tx = GrpcTypes.ExecutedTransaction.toBinary(GrpcTypes.ExecutedTransaction.create({digest: 'D', transaction: {sender: PKG, kind: {data: {oneofKind: undefined}}}, events: {events: [{eventType: 'x'}, {eventType: 'y'}]}}))
    const split = splitTransaction(tx)
    assert.equal(occurrences(tx, 2), 1)
    assert.equal(occurrences(split, 2), 2)
    assert.equal(occurrences(split, 5), 2)
    assert.deepEqual(GrpcTypes.ExecutedTransaction.fromBinary(split), GrpcTypes.ExecutedTransaction.fromBinary(tx))
  })

  it('GetCheckpoint, GetTransaction and BatchGetTransactions decode as the unsplit replies do', async () => {
    const request = GrpcTypes.GetCheckpointRequest.toBinary({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: seq}, readMask: MASK})
    const [plain, split] = await both(() => rawUnary(client, '/sui.rpc.v2.LedgerService/GetCheckpoint', request))
    assert.ok(!plain.equals(split), 'the split reply differs in bytes')
    const decoded = GrpcTypes.GetCheckpointResponse.fromBinary(split)
    assert.deepEqual(decoded, GrpcTypes.GetCheckpointResponse.fromBinary(plain))
    assert.equal(decoded.checkpoint?.transactions.filter((t) => t.events?.events.length === 2 && t.transaction?.kind).length, digests.length)

    const one = GrpcTypes.GetTransactionRequest.toBinary({digest: digests[0], readMask: TX_MASK})
    const [plainOne, splitOne] = await both(() => rawUnary(client, '/sui.rpc.v2.LedgerService/GetTransaction', one))
    assert.ok(!plainOne.equals(splitOne))
    assert.deepEqual(GrpcTypes.GetTransactionResponse.fromBinary(splitOne), GrpcTypes.GetTransactionResponse.fromBinary(plainOne))

    const batch = GrpcTypes.BatchGetTransactionsRequest.toBinary({digests, readMask: TX_MASK})
    const [plainBatch, splitBatch] = await both(() => rawUnary(client, '/sui.rpc.v2.LedgerService/BatchGetTransactions', batch))
    assert.ok(!plainBatch.equals(splitBatch))
    assert.deepEqual(GrpcTypes.BatchGetTransactionsResponse.fromBinary(splitBatch), GrpcTypes.BatchGetTransactionsResponse.fromBinary(plainBatch))
  })

  it('ListCheckpoints and SubscribeCheckpoints frames decode as the unsplit ones do', async () => {
    const list = GrpcTypes.ListCheckpointsRequest.toBinary(GrpcTypes.ListCheckpointsRequest.create({startCheckpoint: seq, endCheckpoint: seq + 1n, readMask: MASK}))
    const [[plain], [split]] = await both(() => rawStream(client, '/sui.rpc.v2.LedgerService/ListCheckpoints', list, 1))
    assert.ok(plain && split && !plain.equals(split))
    assert.deepEqual(GrpcTypes.ListCheckpointsResponse.fromBinary(split!), GrpcTypes.ListCheckpointsResponse.fromBinary(plain!))

    const subscribe = GrpcTypes.SubscribeCheckpointsRequest.toBinary({readMask: MASK})
    sui.faults.splitMessages(1)
    const stream = rawStream(client, '/sui.rpc.v2.SubscriptionService/SubscribeCheckpoints', subscribe, 1)
    setTimeout(() => {
      sui.ledger.submit({sender: alice, events: [{type: `${PKG}::pay::Paid`, json: {amount: '9'}}]})
      sui.ledger.produceCheckpoint()
    }, 50)
    const frame = GrpcTypes.SubscribeCheckpointsResponse.fromBinary((await stream)[0]!)
    assert.ok(frame.checkpoint?.transactions.length)
    sui.faults.splitMessages(0)
    const request = GrpcTypes.GetCheckpointRequest.toBinary({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: frame.checkpoint.sequenceNumber!}, readMask: MASK})
    const plainCheckpoint = GrpcTypes.GetCheckpointResponse.fromBinary(await rawUnary(client, '/sui.rpc.v2.LedgerService/GetCheckpoint', request)).checkpoint
    assert.deepEqual(frame.checkpoint, plainCheckpoint)
  })
})
