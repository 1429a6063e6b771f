// proto3 merges the occurrences of a singular embedded message (issue 30): a valid encoding may
// split one over several, and the reader must give the records the SDK's generated decoder gives.
// Encodings here are the SDK's own writers' output, concatenated or wrapped by hand.
import assert from 'node:assert/strict'

import {GrpcTypes} from '@mysten/sui/grpc'

import {decodeCheckpoint, decodeTransactionDetails} from '../../src/chain/wire/checkpoint-decoder.ts'
import {readBatchGetTransactionsResponse, readGetCheckpointResponse, readListCheckpointsResponse} from '../../src/chain/wire/checkpoint-wire.ts'

const PKG = '0x' + 'ab'.repeat(32)
const SENDER = '0x' + '01'.repeat(32)

const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]))
/** A length-delimited field (lengths here stay under 2^14). */
function field(no: number, body: Uint8Array): Uint8Array {
  const length = body.length < 0x80 ? [body.length] : [(body.length & 0x7f) | 0x80, body.length >> 7]
  return Uint8Array.from([(no << 3) | 2, ...length, ...body])
}
type TxInit = NonNullable<Parameters<typeof GrpcTypes.ExecutedTransaction.create>[0]>
const tx = (t: TxInit): Uint8Array => GrpcTypes.ExecutedTransaction.toBinary(GrpcTypes.ExecutedTransaction.create(t))

const BASE = {digest: 'D', effects: {status: {success: true}, gasUsed: {computationCost: 1n, storageCost: 2n, storageRebate: 1n}}}
const MOVE_CALL_KIND = {data: {oneofKind: 'programmableTransaction' as const, programmableTransaction: {inputs: [], commands: [{command: {oneofKind: 'moveCall' as const, moveCall: {package: PKG, module: 'm', function: 'f', typeArguments: [], arguments: []}}}]}}}
const EVENT = {sender: SENDER, eventType: `${PKG}::m::E`, json: {kind: {oneofKind: 'structValue' as const, structValue: {fields: {a: {kind: {oneofKind: 'stringValue' as const, stringValue: 'x'}}}}}}}

/** A GetCheckpointResponse frame holding one checkpoint whose transaction bytes are `txBytes`. */
function checkpointFrame(...txBytes: Uint8Array[]): Uint8Array {
  const head = GrpcTypes.Checkpoint.toBinary(GrpcTypes.Checkpoint.create({sequenceNumber: 7n, digest: 'C', summary: {timestamp: {seconds: 5n, nanos: 0}}}))
  return field(1, concat(head, ...txBytes.map((b) => field(6, b))))
}

function assertLikeSdk(frame: Uint8Array): ReturnType<typeof decodeCheckpoint> {
  const wire = readGetCheckpointResponse(frame).checkpoint!
  const viaWire = decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors)
  assert.deepEqual(viaWire, decodeCheckpoint(GrpcTypes.GetCheckpointResponse.fromBinary(frame).checkpoint!))
  return viaWire
}

describe('checkpoint wire reader: split occurrences merge as proto3 says', () => {
  it('keeps the move call of a transaction whose Transaction comes in two occurrences', () => {
    const bytes = concat(tx({...BASE, transaction: {kind: MOVE_CALL_KIND}}), tx({transaction: {sender: SENDER}}))
    const record = assertLikeSdk(checkpointFrame(bytes))
    assert.equal(record.transactions[0]?.moveCalls.length, 1)
    assert.equal(record.transactions[0]?.sender, SENDER)
  })

  it('keeps the events of events{E} events{}', () => {
    const bytes = concat(tx({...BASE, transaction: {sender: SENDER}, events: {events: [EVENT]}}), field(5, new Uint8Array(0)))
    const record = assertLikeSdk(checkpointFrame(bytes))
    assert.equal(record.transactions[0]?.events.length, 1)
  })

  it('merges split effects, kinds, commands and event JSON', () => {
    const effects = concat(tx({digest: 'D', transaction: {sender: SENDER, kind: MOVE_CALL_KIND}, effects: {status: {success: true}}}), tx({effects: {gasUsed: {computationCost: 9n, storageCost: 0n, storageRebate: 0n}}}))
    assertLikeSdk(checkpointFrame(effects))
    // A Command whose MoveCall comes in two occurrences, inside a kind that comes in two.
    const command = concat(GrpcTypes.Command.toBinary({command: {oneofKind: 'moveCall', moveCall: {package: PKG, module: 'm', function: '', typeArguments: [], arguments: []}}}), field(1, field(3, Buffer.from('f'))))
    const kind = concat(field(2, field(2, command)), GrpcTypes.TransactionKind.toBinary({kind: GrpcTypes.TransactionKind_Kind.PROGRAMMABLE_TRANSACTION, data: {oneofKind: undefined}}))
    const split = concat(tx({...BASE, transaction: {sender: SENDER}}), field(2, field(4, kind)))
    const record = assertLikeSdk(checkpointFrame(split))
    assert.deepEqual(record.transactions[0]?.moveCalls.map((c) => c.function), ['f'])
    // An event whose JSON struct comes in two occurrences (read by transaction details).
    const event = concat(GrpcTypes.Event.toBinary(GrpcTypes.Event.create(EVENT)), field(6, field(5, field(1, concat(field(1, Buffer.from('b')), field(2, Uint8Array.from([0x20, 1])))))))
    const withJson = concat(tx({...BASE, transaction: {sender: SENDER}, checkpoint: 3n, transactionIndex: 0n}), field(5, field(3, event)))
    const reply = field(1, field(1, withJson))
    const [result] = readBatchGetTransactionsResponse(reply).transactions
    assert.ok(result !== undefined && 'transaction' in result && result.wireError === undefined)
    const sdk = GrpcTypes.BatchGetTransactionsResponse.fromBinary(reply).transactions[0]!.result
    assert.ok(sdk.oneofKind === 'transaction')
    const details = decodeTransactionDetails(result.transaction, 3n)
    assert.deepEqual(details, decodeTransactionDetails(sdk.transaction, 3n))
    assert.deepEqual(details.events[0]?.json, {a: 'x', b: true})
  })

  it('merges a BatchGetTransactions result whose transaction, or error, comes in two occurrences', () => {
    const first = tx({...BASE, transaction: {kind: MOVE_CALL_KIND}, checkpoint: 3n, transactionIndex: 1n})
    const reply = concat(
      field(1, concat(field(1, first), field(1, tx({transaction: {sender: SENDER}})))),
      field(1, concat(field(2, Uint8Array.from([0x08, 5])), field(2, field(2, Buffer.from('gone'))))),
    )
    const [merged, error] = readBatchGetTransactionsResponse(reply).transactions
    const [sdkMerged, sdkError] = GrpcTypes.BatchGetTransactionsResponse.fromBinary(reply).transactions
    assert.ok(merged !== undefined && 'transaction' in merged && merged.wireError === undefined && sdkMerged?.result.oneofKind === 'transaction')
    assert.deepEqual(decodeTransactionDetails(merged.transaction, 3n), decodeTransactionDetails(sdkMerged.result.transaction, 3n))
    assert.equal(merged.transaction.transaction?.sender, SENDER)
    assert.ok(sdkError?.result.oneofKind === 'error')
    assert.deepEqual(error, {error: {code: sdkError.result.error.code, message: sdkError.result.error.message}})
    assert.deepEqual(error, {error: {code: 5, message: 'gone'}})
  })

  it('keeps the first part’s transactions of a checkpoint that comes in two occurrences', () => {
    const first = GrpcTypes.Checkpoint.toBinary(GrpcTypes.Checkpoint.create({sequenceNumber: 7n, digest: 'C', transactions: [{...BASE, digest: 'A', transaction: {sender: SENDER}}]}))
    const second = GrpcTypes.Checkpoint.toBinary(GrpcTypes.Checkpoint.create({sequenceNumber: 7n, summary: {timestamp: {seconds: 5n, nanos: 1}}, transactions: [{...BASE, digest: 'B', transaction: {sender: SENDER}}]}))
    const frame = concat(field(1, first), field(1, second))
    const record = assertLikeSdk(frame)
    assert.deepEqual(record.transactions.map((t) => t.digest), ['A', 'B'])
    const listed = readListCheckpointsResponse(frame).checkpoint!
    assert.deepEqual(decodeCheckpoint(listed.checkpoint), record)
    assert.equal(listed.transactionCount, 2)
  })

  it('fails a frame whose occurrences name two checkpoints, or a transaction of another checkpoint', () => {
    const part = (sequenceNumber: bigint, txCheckpoint?: bigint): Uint8Array =>
      field(1, GrpcTypes.Checkpoint.toBinary(GrpcTypes.Checkpoint.create({sequenceNumber, transactions: [{...BASE, transaction: {sender: SENDER}, ...(txCheckpoint === undefined ? {} : {checkpoint: txCheckpoint})}]})))
    assert.throws(() => readListCheckpointsResponse(concat(part(7n), part(8n))), /checkpoint 7 and checkpoint 8/)
    assert.throws(() => readGetCheckpointResponse(concat(part(7n), part(8n))), /checkpoint 7 and checkpoint 8/)
    assert.throws(() => readListCheckpointsResponse(part(7n, 6n)), /transaction of checkpoint 6 in checkpoint 7/)
  })
})
