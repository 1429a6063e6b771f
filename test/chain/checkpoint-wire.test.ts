// The wire reader must give the same records as the SDK's generated decoder, on the same bytes.
import assert from 'node:assert/strict'

import {GrpcTypes} from '@mysten/sui/grpc'

import {decodeCheckpoint, decodeTransactionDetails} from '../../src/chain/wire/checkpoint-decoder.ts'
import {normalizeAddress, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {readBatchGetTransactionsResponse, readGetCheckpointResponse} from '../../src/chain/wire/checkpoint-wire.ts'
import {CHECKPOINT_READ_MASK, TRANSACTION_DETAILS_READ_MASK, fieldMask} from '../../src/chain/wire/read-masks.ts'
import {createSuiClient} from '../../src/chain/transport/grpc-client-factory.ts'
import {startSuiServer} from '../../sui-server/index.ts'
import {testOptions} from './chain-test-support.ts'

describe('checkpoint wire reader', () => {
  it('decodes generated traffic exactly as the SDK decoder does', async () => {
    const server = await startSuiServer()
    const {sui, close} = createSuiClient(testOptions(server.url))
    try {
      const traffic = server.ledger.generateTraffic({checkpoints: 12, txPerCheckpoint: [20, 60], relevantShare: 0.3, seed: 21})
      let transactions = 0
      let events = 0
      for (let seq = traffic.firstCheckpoint; seq <= traffic.lastCheckpoint; seq++) {
        const {response} = await sui.ledgerService.getCheckpoint({checkpointId: {oneofKind: 'sequenceNumber', sequenceNumber: seq}, readMask: fieldMask(CHECKPOINT_READ_MASK)})
        const bytes = GrpcTypes.GetCheckpointResponse.toBinary(response)
        const viaSdk = decodeCheckpoint(response.checkpoint!)
        const wire = readGetCheckpointResponse(bytes).checkpoint
        assert.ok(wire)
        const viaWire = decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors)
        assert.deepEqual(viaWire, viaSdk)
        transactions += viaWire.transactions.length
        events += viaWire.transactions.reduce((n, t) => n + t.events.length, 0)
      }
      assert.ok(transactions > 200 && events > 10, `compared ${transactions} transactions, ${events} events`)
    } finally {
      close()
      await server.close()
    }
  })

  it('decodes BatchGetTransactions replies exactly as the SDK decoder does, errors in place', async () => {
    const server = await startSuiServer()
    const {sui, close} = createSuiClient(testOptions(server.url))
    try {
      const traffic = server.ledger.generateTraffic({checkpoints: 4, txPerCheckpoint: [30, 40], relevantShare: 0.3, seed: 22})
      const digests = []
      for (let seq = traffic.firstCheckpoint; seq <= traffic.lastCheckpoint; seq++) digests.push(...(server.ledger.checkpoint(seq)?.transactions.map((t) => t.digest) ?? []))
      const missing = digests.length >> 1
      digests.splice(missing, 0, 'DAsQ8s1a8GyYRbdQeZhHpMeYYAHvyhEHuRMYpgmBVhWm')
      const {response} = await sui.ledgerService.batchGetTransactions({digests, readMask: fieldMask(TRANSACTION_DETAILS_READ_MASK)})
      const bytes = GrpcTypes.BatchGetTransactionsResponse.toBinary(response)
      const wire = readBatchGetTransactionsResponse(bytes).transactions
      assert.equal(wire.length, digests.length)
      let events = 0
      for (const [i, result] of response.transactions.entries()) {
        const viaWire = wire[i]!
        if (result.result.oneofKind !== 'transaction') {
          assert.equal(i, missing)
          assert.deepEqual(viaWire, {error: {code: 5, message: result.result.oneofKind === 'error' ? result.result.error.message : ''}})
          continue
        }
        assert.ok('transaction' in viaWire && viaWire.wireError === undefined)
        const sdkTx = result.result.transaction
        assert.ok(sdkTx.checkpoint !== undefined && sdkTx.transactionIndex !== undefined && sdkTx.timestamp !== undefined)
        const viaSdk = decodeTransactionDetails(sdkTx, sdkTx.checkpoint)
        assert.deepEqual(decodeTransactionDetails(viaWire.transaction, sdkTx.checkpoint), viaSdk)
        events += viaSdk.events.length
      }
      assert.ok(events > 10, `compared ${events} events`)
    } finally {
      close()
      await server.close()
    }
  })

  it('decodes failures, sponsors, negative numbers and nested JSON', () => {
    const cp = GrpcTypes.Checkpoint.create({
      sequenceNumber: 2n ** 60n,
      digest: 'cp',
      summary: {timestamp: {seconds: 1_800_000_000n, nanos: 999_999_999}},
      transactions: [
        {
          digest: 'T',
          transaction: {sender: '0x1', gasPayment: {owner: '0x2', objects: []}},
          effects: {status: {success: false, error: {description: '', kind: GrpcTypes.ExecutionError_ExecutionErrorKind.INSUFFICIENT_GAS}}, gasUsed: {computationCost: 2n ** 63n, storageCost: 1n, storageRebate: 5n}},
          events: {events: [{eventType: '0x3::m::E', sender: '0x1', json: {kind: {oneofKind: 'listValue', listValue: {values: [{kind: {oneofKind: 'numberValue', numberValue: -1.5}}, {kind: {oneofKind: 'nullValue', nullValue: 0}}, {kind: {oneofKind: 'structValue', structValue: {fields: {a: {kind: {oneofKind: 'boolValue', boolValue: false}}}}}}]}}}}]},
          balanceChanges: [{address: '0x1', coinType: '0x2::sui::SUI', amount: '-5'}],
        },
      ],
    })
    const bytes = GrpcTypes.GetCheckpointResponse.toBinary({checkpoint: cp})
    const wire = readGetCheckpointResponse(bytes).checkpoint!
    const viaWire = decodeCheckpoint(wire.checkpoint)
    assert.deepEqual(viaWire, decodeCheckpoint(GrpcTypes.GetCheckpointResponse.fromBinary(bytes).checkpoint!))
    const tx = viaWire.transactions[0]!
    assert.equal(viaWire.sequenceNumber, 2n ** 60n)
    assert.deepEqual(tx.status, {success: false, error: 'INSUFFICIENT_GAS'})
    assert.equal(tx.gasUsed, 2n ** 63n - 4n)
    // A checkpoint read keeps events by type and sender only, whatever the node sent.
    assert.deepEqual(tx.events, [{type: normalizeCoinType('0x3::m::E'), sender: normalizeAddress('0x1')}])
    assert.deepEqual(decodeTransactionDetails(wire.checkpoint.transactions[0]!, 1n).events[0]?.json, [-1.5, null, {a: false}])
  })

  it('keeps the checkpoint when one transaction’s bytes are malformed', () => {
    const good = GrpcTypes.ExecutedTransaction.create({digest: 'Good', transaction: {sender: '0x1'}, effects: {status: {success: true}, gasUsed: {}}})
    const goodBytes = GrpcTypes.ExecutedTransaction.toBinary(good)
    // Transaction 0: a digest field, then a sender whose length runs past the transaction.
    const bad = Uint8Array.from([0x0a, 0x03, 0x42, 0x61, 0x64, 0x12, 0x05, 0x2a, 0x7f])
    const field = (no: number, body: Uint8Array): number[] => [(no << 3) | 2, body.length, ...body]
    const checkpointBody = Uint8Array.from([0x08, 0x07, ...field(6, bad), ...field(6, goodBytes)])
    const bytes = Uint8Array.from(field(1, checkpointBody))
    const wire = readGetCheckpointResponse(bytes).checkpoint!
    const record = decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors)
    assert.equal(record.transactions.length, 2)
    assert.equal(record.transactions[0]?.digest, 'Bad')
    assert.match(record.transactions[0]?.parseError ?? '', /malformed transaction bytes/)
    assert.equal(record.transactions[1]?.digest, 'Good')
    assert.equal(record.transactions[1]?.parseError, undefined)
  })
})
