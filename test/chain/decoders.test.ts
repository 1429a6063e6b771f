// Protobuf messages → records, built with GrpcTypes.X.create as a node would send them.
import assert from 'node:assert/strict'

import {GrpcTypes} from '@mysten/sui/grpc'

import {decodeCheckpoint, decodeEventContents, decodeTransactionDetails} from '../../src/chain/wire/checkpoint-decoder.ts'
import {CHECKPOINT_READ_MASK, EVENT_CONTENTS_READ_MASK, TRANSACTION_DETAILS_READ_MASK} from '../../src/chain/wire/read-masks.ts'
import {chainAddress} from '../../src/chain/wire/proto-values.ts'
import {decodeBalance, decodeServiceInfo} from '../../src/chain/wire/state-decoder.ts'

const PKG = '0x' + 'ab'.repeat(32)
const ALICE = '0x' + '11'.repeat(32)
const SPONSOR = '0x' + '22'.repeat(32)
const USDC = `${PKG}::usdc::USDC`

function transaction(overrides: Partial<GrpcTypes.ExecutedTransaction> = {}): GrpcTypes.ExecutedTransaction {
  return GrpcTypes.ExecutedTransaction.create({
    digest: 'D1gest',
    transaction: {
      sender: '0x11' + '11'.repeat(31),
      gasPayment: {owner: SPONSOR, objects: []},
      kind: {
        data: {
          oneofKind: 'programmableTransaction',
          programmableTransaction: {
            inputs: [],
            commands: [
              {command: {oneofKind: 'splitCoins', splitCoins: {amounts: []}}},
              {command: {oneofKind: 'moveCall', moveCall: {package: '0xab' + 'ab'.repeat(31), module: 'pay', function: 'send', typeArguments: [], arguments: []}}},
            ],
          },
        },
      },
    },
    effects: {status: {success: true}, gasUsed: {computationCost: 1000n, storageCost: 500n, storageRebate: 700n}},
    events: {
      events: [
        {
          eventType: '0xab' + 'ab'.repeat(31) + '::pay::Sent',
          sender: ALICE,
          json: {kind: {oneofKind: 'structValue', structValue: {fields: {amount: {kind: {oneofKind: 'stringValue', stringValue: '5'}}, ok: {kind: {oneofKind: 'boolValue', boolValue: true}}}}}},
        },
      ],
    },
    balanceChanges: [
      {address: ALICE, coinType: '0x2::sui::SUI', amount: '-800'},
      {address: ALICE, coinType: USDC, amount: '18446744073709551615'},
    ],
    ...overrides,
  })
}

describe('decodeCheckpoint', () => {
  it('decodes what confio reads of every transaction', () => {
    const cp = GrpcTypes.Checkpoint.create({sequenceNumber: 7n, digest: 'cpD', summary: {timestamp: {seconds: 1_700_000_000n, nanos: 250_000_000}}, transactions: [transaction()]})
    // Through the wire format, as the client would see it.
    const record = decodeCheckpoint(GrpcTypes.Checkpoint.fromBinary(GrpcTypes.Checkpoint.toBinary(cp)))
    assert.equal(record.sequenceNumber, 7n)
    assert.equal(record.timestampMs, 1_700_000_000_250)
    const tx = record.transactions[0]
    assert.ok(tx)
    assert.equal(tx.parseError, undefined)
    assert.equal(tx.sender, ALICE)
    assert.equal(tx.gasOwner, SPONSOR)
    assert.deepEqual(tx.moveCalls, [{package: PKG, module: 'pay', function: 'send'}])
    // A checkpoint read is for deciding relevance: events by type and sender, even if JSON came.
    assert.deepEqual(tx.events, [{type: `${PKG}::pay::Sent`, sender: ALICE}])
    assert.deepEqual(tx.balanceChanges, [
      {address: ALICE, coinType: '0x' + '0'.repeat(63) + '2::sui::SUI', amount: -800n},
      {address: ALICE, coinType: USDC, amount: 18446744073709551615n},
    ])
    assert.deepEqual(tx.status, {success: true})
    assert.equal(tx.gasUsed, 800n)
    assert.equal(tx.index, 0)
    assert.equal(tx.checkpoint, 7n)
  })

  it('uses the sender as gas owner when there is no sponsor, and reports failures', () => {
    const tx = transaction({
      effects: GrpcTypes.TransactionEffects.create({status: {success: false, error: {description: 'MoveAbort in 1st command'}}, gasUsed: {computationCost: 10n}}),
    })
    tx.transaction!.gasPayment = undefined
    const [record] = decodeCheckpoint(GrpcTypes.Checkpoint.create({sequenceNumber: 1n, transactions: [tx]})).transactions
    assert.equal(record?.gasOwner, ALICE)
    assert.deepEqual(record?.status, {success: false, error: 'MoveAbort in 1st command'})
  })

  it('keeps what it could decode of a bad transaction and goes on with the checkpoint', () => {
    const bad = transaction({balanceChanges: [{address: ALICE, coinType: 'not a type', amount: '1'}, {address: ALICE, coinType: USDC, amount: '12x'}, {address: ALICE, coinType: USDC, amount: '3'}]})
    bad.transaction!.sender = 'alice'
    const cp = decodeCheckpoint(GrpcTypes.Checkpoint.create({sequenceNumber: 2n, transactions: [bad, transaction({digest: 'Good'})]}))
    const [first, second] = cp.transactions
    assert.ok(first?.parseError)
    assert.match(first.parseError, /sender/)
    assert.match(first.parseError, /balance change 0/)
    assert.match(first.parseError, /balance change 1/)
    assert.deepEqual(first.balanceChanges, [{address: ALICE, coinType: USDC, amount: 3n}])
    assert.equal(first.digest, 'D1gest')
    assert.equal(first.moveCalls.length, 1)
    assert.equal(second?.parseError, undefined)
    assert.equal(second?.digest, 'Good')
    assert.equal(second?.index, 1)
  })

  it('never credits a transaction whose status is missing', () => {
    const tx = transaction({effects: GrpcTypes.TransactionEffects.create({})})
    const [record] = decodeCheckpoint(GrpcTypes.Checkpoint.create({sequenceNumber: 3n, transactions: [tx]})).transactions
    assert.equal(record?.status.success, false)
    assert.match(record?.parseError ?? '', /effects status/)
  })

  it('asks for the Move call fields, not the whole transaction kind, and event types without their contents', () => {
    assert.ok(CHECKPOINT_READ_MASK.includes('transactions.transaction.kind.programmable_transaction.commands.move_call.package'))
    assert.equal(CHECKPOINT_READ_MASK.includes('transactions.transaction.kind'), false)
    assert.equal(CHECKPOINT_READ_MASK.includes('transactions.events'), false)
    assert.ok(CHECKPOINT_READ_MASK.includes('transactions.events.events.event_type'))
    assert.deepEqual(CHECKPOINT_READ_MASK.filter((path) => /json|contents|bcs/.test(path)), [])
  })
})

describe('decodeTransactionDetails', () => {
  it('decodes a BatchGetTransactions transaction: the same fields, events with JSON, its own placement', () => {
    const message = transaction({checkpoint: 9n, transactionIndex: 4n, timestamp: {seconds: 1_700_000_001n, nanos: 5_000_000}})
    const tx = decodeTransactionDetails(GrpcTypes.ExecutedTransaction.fromBinary(GrpcTypes.ExecutedTransaction.toBinary(message)), 9n)
    assert.deepEqual(tx.events, [{type: `${PKG}::pay::Sent`, sender: ALICE, json: {amount: '5', ok: true}}])
    assert.equal(tx.checkpoint, 9n)
    assert.equal(tx.index, 4)
    assert.equal(tx.timestampMs, 1_700_000_001_005)
    const summary = decodeCheckpoint(GrpcTypes.Checkpoint.create({sequenceNumber: 9n, transactions: [message]})).transactions[0]
    assert.deepEqual({...tx, events: [], index: 0, timestampMs: 0}, {...summary, events: []})
  })

  it('reads an index the node left out as -1, and an event without JSON as null', () => {
    const message = transaction({checkpoint: 9n, events: {events: [{eventType: `${PKG}::pay::Sent`, sender: ALICE}]}})
    const tx = decodeTransactionDetails(message, 9n)
    assert.equal(tx.index, -1)
    assert.deepEqual(tx.events, [{type: `${PKG}::pay::Sent`, sender: ALICE, json: null}])
    assert.equal(tx.parseError, undefined)
  })

  it('asks for the event JSON and where the transaction sits', () => {
    for (const path of ['events.events.json', 'checkpoint', 'timestamp', 'transaction_index', 'effects.status']) assert.ok(TRANSACTION_DETAILS_READ_MASK.includes(path), path)
  })
})

describe('decodeEventContents', () => {
  it("gives each event's type and JSON at its place; one whose type does not decode keeps its place, named in the parse error", () => {
    const sent = transaction({checkpoint: 9n}).events!.events[0]!
    const message = GrpcTypes.ExecutedTransaction.create({digest: 'D1gest', checkpoint: 9n, events: {events: [{...sent, eventType: 'not a type'}, sent]}})
    const contents = decodeEventContents(GrpcTypes.ExecutedTransaction.fromBinary(GrpcTypes.ExecutedTransaction.toBinary(message)), 9n)
    assert.deepEqual(contents.events, [
      {type: '', json: {amount: '5', ok: true}},
      {type: `${PKG}::pay::Sent`, json: {amount: '5', ok: true}},
    ])
    assert.equal(contents.checkpoint, 9n)
    assert.match(contents.parseError ?? '', /^event 0: /)
  })

  it('asks for the events and the checkpoint, nothing of the summary', () => {
    assert.deepEqual([...EVENT_CONTENTS_READ_MASK].sort(), ['checkpoint', 'digest', 'events.events.event_type', 'events.events.json'])
  })
})

describe('state decoders', () => {
  it('decodes service info with bigint heights', () => {
    const info = decodeServiceInfo(GrpcTypes.GetServiceInfoResponse.create({chainId: '35834a8a', chain: 'mainnet', epoch: 900n, checkpointHeight: 123n, lowestAvailableCheckpoint: 100n, server: 'sui-node/1.60', timestamp: {seconds: 2n, nanos: 0}}))
    assert.deepEqual(info, {chainId: '35834a8a', chain: 'mainnet', epoch: 900n, checkpointHeight: 123n, lowestAvailableCheckpoint: 100n, serverVersion: 'sui-node/1.60', timestampMs: 2000})
  })

  it('splits a balance into coin objects and address balance', () => {
    const window = {from: 41n, to: 43n}
    const balance = decodeBalance(GrpcTypes.Balance.create({coinType: '0x2::sui::SUI', balance: 15n, coinBalance: 10n, addressBalance: 5n}), '', 42n, window)
    assert.deepEqual(balance, {coinType: '0x' + '0'.repeat(63) + '2::sui::SUI', total: 15n, coinBalance: 10n, addressBalance: 5n, checkpoint: 42n, window})
  })
})

describe('chainAddress', () => {
  const full = `0x${'ab01'.repeat(16)}`

  it('passes a full-form address through as it is', () => {
    assert.equal(chainAddress(full, 'sender'), full)
  })

  it('normalizes what is not in full form: short, upper case', () => {
    assert.equal(chainAddress('0x2', 'sender'), `0x${'0'.repeat(63)}2`)
    assert.equal(chainAddress(full.toUpperCase().replace('0X', '0x'), 'sender'), full)
  })

  it('refuses what is no address, naming the field', () => {
    assert.throws(() => chainAddress(`0x${'g'.repeat(64)}`, 'sender'), /not a Sui address/)
    assert.throws(() => chainAddress('', 'gas owner'), /gas owner is missing/)
  })
})
