// What the hand-written reader does with bytes it does not expect: a kind or command newer than
// it (kept as undecodable, counted, warned about), a known field on the wrong wire type (an error,
// never skipped), and nesting past its depth limit.
import assert from 'node:assert/strict'

import {GrpcTypes} from '@mysten/sui/grpc'

import {ChainMetrics, chainMetrics} from '../../src/chain/chain-metrics.ts'
import {decodeCheckpoint, decodeTransactionDetails} from '../../src/chain/wire/checkpoint-decoder.ts'
import {readBatchGetTransactionsResponse, readGetCheckpointResponse, readListCheckpointsResponse} from '../../src/chain/wire/checkpoint-wire.ts'
import {MAX_DEPTH, WireError} from '../../src/chain/wire/wire-reader.ts'
import type {ProtoValue} from '../../src/chain/wire/proto-values.ts'
import {reportingWireObserver} from '../../src/chain/wire/wire-observer.ts'
import {RelevanceFilter} from '../../src/ingest/relevance-filter.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {messageField, uint64Field, varint} from '../../sui-server/wire.ts'

const ALICE = '0x' + 'a1'.repeat(32)
const PKG = '0x' + 'cc'.repeat(32)
const MOVE_CALL = GrpcTypes.Command.create({command: {oneofKind: 'moveCall', moveCall: {package: PKG, module: 'pay', function: 'send', typeArguments: [], arguments: []}}})
const PROGRAMMABLE: GrpcTypes.TransactionKind['data'] = {oneofKind: 'programmableTransaction', programmableTransaction: {inputs: [], commands: [MOVE_CALL]}}

/** An ExecutedTransaction whose TransactionKind is `kind`, as given bytes; the rest is ordinary. */
function transactionWithKind(digest: string, kind: Uint8Array): Buffer {
  const rest = GrpcTypes.ExecutedTransaction.create({
    digest,
    effects: {status: {success: true}, gasUsed: {computationCost: 10n}},
    balanceChanges: [{address: ALICE, coinType: '0x2::sui::SUI', amount: '-10'}],
  })
  const transaction = Buffer.concat([GrpcTypes.Transaction.toBinary(GrpcTypes.Transaction.create({sender: ALICE})), messageField(4, kind)]) // kind = 4
  return Buffer.concat([GrpcTypes.ExecutedTransaction.toBinary(rest), messageField(2, transaction)]) // transaction = 2
}

/** GetCheckpointResponse (and the start of a ListCheckpointsResponse): checkpoint 7 with these transactions. */
function checkpointReply(transactions: Uint8Array[]): Buffer {
  return messageField(1, Buffer.concat([uint64Field(1, 7n), ...transactions.map((tx) => messageField(6, tx))]))
}

const relevance = new RelevanceFilter({packages: [], tokens: new TokenRegistry([]), accounts: {has: () => false}})

describe('checkpoint wire reader: content it does not know', () => {
  it('keeps a transaction of an unknown kind or command as undecodable, counts it and warns', () => {
    const metrics = new ChainMetrics()
    const warnings: Array<Record<string, unknown>> = []
    const observer = reportingWireObserver(metrics, {warn: (fields, message) => warnings.push({...fields, message})})
    const bytes = checkpointReply([
      // TransactionKind.kind 12: a kind value newer than the SDK's enum.
      transactionWithKind('Enum', GrpcTypes.TransactionKind.toBinary(GrpcTypes.TransactionKind.create({kind: 12 as GrpcTypes.TransactionKind_Kind, data: PROGRAMMABLE}))),
      // A `data` member numbered 9: a kind the SDK's descriptors do not have.
      transactionWithKind('Member', messageField(9, uint64Field(1, 1n))),
      // A command numbered 8 before a Move call: programmable_transaction = 2 { commands = 2 ... }.
      transactionWithKind('Command', messageField(2, Buffer.concat([messageField(2, messageField(8, new Uint8Array())), messageField(2, GrpcTypes.Command.toBinary(MOVE_CALL))]))),
      transactionWithKind('Plain', GrpcTypes.TransactionKind.toBinary(GrpcTypes.TransactionKind.create({kind: GrpcTypes.TransactionKind_Kind.PROGRAMMABLE_TRANSACTION, data: PROGRAMMABLE}))),
    ])
    const wire = readListCheckpointsResponse(bytes, observer).checkpoint
    assert.ok(wire)
    const [enumKind, member, command, plain] = decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors).transactions
    assert.ok(enumKind && member && command && plain)
    assert.match(enumKind.parseError ?? '', /unknown to this reader.*TransactionKind\.kind 12/)
    assert.match(member.parseError ?? '', /unknown to this reader.*TransactionKind field 9/)
    assert.match(command.parseError ?? '', /unknown to this reader.*Command field 8/)
    assert.equal(plain.parseError, undefined)
    // Whatever could be read is kept, and the relevance rule keeps the transaction as undecodable.
    assert.deepEqual([enumKind, member, command, plain].map((tx) => [tx.digest, tx.sender, tx.balanceChanges.length, tx.moveCalls.length]), [
      ['Enum', ALICE, 1, 1],
      ['Member', ALICE, 1, 0],
      ['Command', ALICE, 1, 1],
      ['Plain', ALICE, 1, 1],
    ])
    assert.deepEqual([enumKind, member, command, plain].map((tx) => relevance.reasons(tx)), [['parse-error'], ['parse-error'], ['parse-error'], []])
    assert.deepEqual(metrics.snapshot().unknownContent, {'TransactionKind.kind 12': 1, 'TransactionKind field 9': 1, 'Command field 8': 1})
    assert.deepEqual(
      warnings.map((w) => w.what),
      ['TransactionKind.kind 12', 'TransactionKind field 9', 'Command field 8'],
    )
    assert.match(String(warnings[0]?.message), /kept as undecodable/)
  })

  it('marks the transaction in a BatchGetTransactions reply too, and counts into the process metrics by default', () => {
    const before = chainMetrics.snapshot().unknownContent['TransactionKind field 9'] ?? 0
    const result = messageField(1, messageField(1, transactionWithKind('Member', messageField(9, new Uint8Array())))) // transactions = 1 { transaction = 1 }
    const [read] = readBatchGetTransactionsResponse(result).transactions
    assert.ok(read && 'transaction' in read)
    assert.match(read.wireError ?? '', /TransactionKind field 9/)
    assert.equal(chainMetrics.snapshot().unknownContent['TransactionKind field 9'], before + 1)
  })

  it('warns on the 1st, 10th and 100th transaction of a kind, and counts every one', () => {
    const metrics = new ChainMetrics()
    const counts: unknown[] = []
    const observer = reportingWireObserver(metrics, {warn: (fields) => counts.push(fields.transactions)})
    for (let i = 0; i < 150; i++) observer.unknownContent('Command field 8')
    assert.deepEqual(counts, [1, 10, 100])
    assert.deepEqual(metrics.snapshot().unknownContent, {'Command field 8': 150})
  })
})

describe('checkpoint wire reader: strictness', () => {
  it('fails a transaction whose known field comes on another wire type, naming message and field', () => {
    // Transaction.sender (5) as a varint.
    const bad = Buffer.concat([GrpcTypes.ExecutedTransaction.toBinary(GrpcTypes.ExecutedTransaction.create({digest: 'Bad'})), messageField(2, uint64Field(5, 1n))])
    const good = GrpcTypes.ExecutedTransaction.toBinary(GrpcTypes.ExecutedTransaction.create({digest: 'Good', transaction: {sender: ALICE}}))
    const wire = readGetCheckpointResponse(checkpointReply([bad, good])).checkpoint
    assert.ok(wire)
    assert.match(wire.transactionErrors[0] ?? '', /malformed transaction bytes: sui\.rpc\.v2\.Transaction\.sender \(field 5\) has wire type 0, expected 2/)
    assert.equal(wire.transactionErrors[1], undefined)
    const [first, second] = decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors).transactions
    assert.equal(first?.digest, 'Bad')
    assert.deepEqual(relevance.reasons(first!), ['parse-error'])
    assert.equal(second?.sender, ALICE)
  })

  it('fails the reply when the checkpoint’s own field comes on another wire type', () => {
    const bytes = messageField(1, messageField(1, Uint8Array.of(7))) // sequence_number as bytes
    assert.throws(() => readGetCheckpointResponse(bytes), (error: unknown) => error instanceof WireError && /sui\.rpc\.v2\.Checkpoint\.sequence_number \(field 1\) has wire type 2, expected 0/.test(error.message))
  })

  it('still skips fields it does not know, on any wire type', () => {
    const fixed32 = Uint8Array.from([...varint((97 << 3) | 5), 1, 2, 3, 4])
    const bytes = messageField(1, Buffer.concat([uint64Field(99, 5n), fixed32, messageField(98, Uint8Array.of(1)), uint64Field(1, 7n)]))
    assert.equal(readGetCheckpointResponse(bytes).checkpoint?.checkpoint.sequenceNumber, 7n)
  })
})

describe('checkpoint wire reader: nesting', () => {
  const details = (json: ProtoValue): GrpcTypes.GetTransactionResult => ({
    result: {
      oneofKind: 'transaction',
      transaction: GrpcTypes.ExecutedTransaction.create({digest: 'Deep', checkpoint: 1n, events: {events: [{eventType: `${PKG}::pay::Sent`, sender: ALICE, json: json as GrpcTypes.Event['json']}]}}),
    },
  })
  const nested = (levels: number, wrap: (inner: ProtoValue) => ProtoValue): ProtoValue => {
    let value: ProtoValue = {kind: {oneofKind: 'stringValue', stringValue: 'leaf'}}
    for (let i = 0; i < levels; i++) value = wrap(value)
    return value
  }

  it('reads event JSON as deep as Sui renders it (80 levels)', () => {
    const json = nested(80, (inner) => ({kind: {oneofKind: 'structValue', structValue: {fields: {f: inner}}}}))
    const bytes = GrpcTypes.BatchGetTransactionsResponse.toBinary({transactions: [details(json)]})
    const [read] = readBatchGetTransactionsResponse(bytes).transactions
    assert.ok(read && 'transaction' in read && read.wireError === undefined)
    const viaSdk = GrpcTypes.BatchGetTransactionsResponse.fromBinary(bytes).transactions[0]?.result
    assert.ok(viaSdk?.oneofKind === 'transaction')
    assert.deepEqual(decodeTransactionDetails(read.transaction, 1n).events, decodeTransactionDetails(viaSdk.transaction, 1n).events)
  })

  it(`stops past ${MAX_DEPTH} nested messages: that transaction is malformed, the next one is read`, () => {
    // BatchGetTransactionsResponse, GetTransactionResult, ExecutedTransaction, TransactionEvents,
    // Event and the outer Value are 6 messages; each list level adds a ListValue and a Value.
    const listLevels = (MAX_DEPTH - 6) / 2
    const list = (levels: number) => nested(levels, (inner) => ({kind: {oneofKind: 'listValue', listValue: {values: [inner]}}}))
    const bytes = GrpcTypes.BatchGetTransactionsResponse.toBinary({transactions: [details(list(listLevels)), details(list(listLevels + 1)), details({kind: {oneofKind: 'boolValue', boolValue: true}})]})
    const [deepest, deep, next] = readBatchGetTransactionsResponse(bytes).transactions
    assert.ok(deepest && 'transaction' in deepest && deep && 'transaction' in deep && next && 'transaction' in next)
    assert.equal(deepest.wireError, undefined)
    assert.match(deep.wireError ?? '', new RegExp(`malformed transaction bytes: messages nested more than ${MAX_DEPTH} deep`))
    assert.equal(deep.transaction.digest, 'Deep')
    assert.equal(next.wireError, undefined)
    assert.deepEqual(decodeTransactionDetails(next.transaction, 1n).events[0]?.json, true)
  })
})
