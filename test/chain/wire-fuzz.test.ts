// Differential fuzz test of the read path (issue 30): random checkpoints and transactions, written
// by the SDK's encoder and then rewritten into other valid encodings (fields reordered, embedded
// messages split or given empty occurrences, unknown fields of every wire type, scalars written
// twice, over-long varints: test/support/proto-mutator.ts), are read by confio's hand-written reader
// and by the SDK's generated decoder. The records must be equal, and the transaction screen must let
// through every transaction the relevance rule keeps from the full read.
//
// Seeded: CONFIO_FUZZ_SEED picks the run, CONFIO_FUZZ_CASES its length (a few seconds by default;
// `CONFIO_FUZZ_CASES=20000` for a long run). A failure names its seed and case and writes the
// encoding to a file, so it can be read again with the SDK's decoder and the reader side by side.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {GrpcTypes} from '@mysten/sui/grpc'

import {decodeCheckpoint, decodeTransactionDetails} from '../../src/chain/wire/checkpoint-decoder.ts'
import {readBatchGetTransactionsResponse, readGetCheckpointResponse, readSubscribeCheckpointsResponse} from '../../src/chain/wire/checkpoint-wire.ts'
import type {WireCheckpoint} from '../../src/chain/wire/checkpoint-wire.ts'
import {Random} from '../../sui-server/random.ts'
import {ProtoMutator} from '../support/proto-mutator.ts'
import type {MessageType, MutationRates} from '../support/proto-mutator.ts'
import {RandomTransactions, randomPools} from '../support/random-transactions.ts'
import {assertSuperset, fullRead, rule, screenedRead} from './screen-check.ts'

const SEED = Number(process.env['CONFIO_FUZZ_SEED'] ?? 30)
const CASES = Number(process.env['CONFIO_FUZZ_CASES'] ?? 400)

const RATES: MutationRates = {order: 0.3, split: 0.15, empty: 0.03, unknown: 0.1, unread: 0.03, repeat: 0.05, overlong: 0.05}

// Valid encodings the reader refuses or flags on purpose, so the fuzz does not write them:
//   - a second, different sequence number or digest for the checkpoint, or a transaction naming
//     another checkpoint: the frame cannot be one checkpoint, and the poller stops (checkpoint-wire.ts);
//   - a transaction kind or command this reader does not know (an unknown enum value or field
//     number in TransactionKind or Command): it may hide a Move call, so the transaction is
//     flagged for the decoding guard, where the SDK would just read past it.
// And one the SDK's decoder refuses: a field of an unknown number in a map's entry (protobuf-ts
// throws on it; C++ reads past it, as confio's reader does).
const FIXED = new Set(['sui.rpc.v2.Checkpoint.sequence_number', 'sui.rpc.v2.Checkpoint.digest', 'sui.rpc.v2.ExecutedTransaction.checkpoint', 'sui.rpc.v2.TransactionKind.kind'])
const CLOSED = new Set(['sui.rpc.v2.TransactionKind', 'sui.rpc.v2.Command', 'fields entry'])

/** Runs case `i` of the run; a failure is reported with what reproduces it. */
function runCase(what: string, i: number, check: (random: Random, keep: (bytes: Uint8Array) => void) => void): void {
  let bytes: Uint8Array | undefined
  try {
    check(new Random(SEED * 1_000_003 + i), (b) => (bytes = b))
  } catch (error) {
    const file = join(tmpdir(), `confio-wire-fuzz-${what}-${SEED}-${i}.bin`)
    if (bytes !== undefined) writeFileSync(file, bytes)
    const where = bytes === undefined ? '' : `; the encoding is in ${file}`
    throw new Error(`${what} case ${i} of seed ${SEED} (CONFIO_FUZZ_SEED=${SEED}${where}): ${error instanceof Error ? error.message : String(error)}`, {cause: error})
  }
}

function mutator(random: Random): ProtoMutator {
  return new ProtoMutator(random, {rates: RATES, fixed: FIXED, closed: CLOSED})
}

/** Encodes `message` with the SDK, then rewrites the encoding. */
function encode<T extends object>(type: MessageType & {toBinary(message: T): Uint8Array}, message: T, random: Random): Uint8Array {
  return mutator(random).mutate(type, type.toBinary(message))
}

function recordOf(wire: WireCheckpoint | undefined) {
  assert.ok(wire, 'the reader found no checkpoint')
  return decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors)
}

describe('wire fuzz: the reader against the SDK decoder', function () {
  // A few seconds by default; a long run asks for more.
  this.timeout(60_000 + CASES * 50)

  it(`reads ${CASES} rewritten checkpoint frames as the SDK does, and screens none the rule keeps`, () => {
    let transactions = 0
    let kept = 0
    for (let i = 0; i < CASES; i++) {
      runCase('checkpoint', i, (random, keep) => {
        const pools = randomPools(random, 4)
        const checkpoint = new RandomTransactions(random, pools).checkpoint(BigInt(random.int(0, 2 ** 40)), random.int(0, 12))
        const {filter, screen} = rule(pools.watchedAccounts, pools.watchedPackages)

        const list = encode(GrpcTypes.ListCheckpointsResponse, GrpcTypes.ListCheckpointsResponse.create({checkpoint}), random)
        keep(list)
        const full = fullRead(list)
        assert.deepEqual(full, decodeCheckpoint(GrpcTypes.ListCheckpointsResponse.fromBinary(list).checkpoint!))
        assertSuperset(full, screenedRead(list, screen), filter)
        transactions += full.transactions.length
        kept += full.transactions.filter((tx) => filter.reasons(tx).length > 0).length

        const get = encode(GrpcTypes.GetCheckpointResponse, GrpcTypes.GetCheckpointResponse.create({checkpoint}), random)
        keep(get)
        assert.deepEqual(recordOf(readGetCheckpointResponse(get).checkpoint), decodeCheckpoint(GrpcTypes.GetCheckpointResponse.fromBinary(get).checkpoint!))

        const subscribe = encode(GrpcTypes.SubscribeCheckpointsResponse, GrpcTypes.SubscribeCheckpointsResponse.create({cursor: checkpoint.sequenceNumber!, checkpoint}), random)
        keep(subscribe)
        const read = readSubscribeCheckpointsResponse(subscribe)
        const sdk = GrpcTypes.SubscribeCheckpointsResponse.fromBinary(subscribe)
        assert.equal(read.cursor, sdk.cursor)
        assert.deepEqual(recordOf(read.checkpoint), decodeCheckpoint(sdk.checkpoint!))
      })
    }
    // The run decided relevance both ways, or it showed nothing.
    assert.ok(kept > 0 && kept < transactions, `${kept} of ${transactions} transactions kept`)
  })

  it(`reads ${CASES} rewritten BatchGetTransactions replies as the SDK does`, () => {
    let compared = 0
    for (let i = 0; i < CASES; i++) {
      runCase('details', i, (random, keep) => {
        const generate = new RandomTransactions(random, randomPools(random, 4))
        const transactions = Array.from({length: random.int(0, 4)}, () =>
          random.chance(0.85)
            ? {result: {oneofKind: 'transaction' as const, transaction: generate.transaction(true)}}
            : {result: {oneofKind: 'error' as const, error: {code: random.int(0, 16), message: random.pick(['', 'not found', 'é']), details: []}}},
        )
        const reply = encode(GrpcTypes.BatchGetTransactionsResponse, GrpcTypes.BatchGetTransactionsResponse.create({transactions}), random)
        keep(reply)
        const read = readBatchGetTransactionsResponse(reply).transactions
        const sdk = GrpcTypes.BatchGetTransactionsResponse.fromBinary(reply).transactions
        assert.equal(read.length, sdk.length)
        sdk.forEach(({result}, j) => {
          const ours = read[j]
          if (result.oneofKind === 'transaction') {
            assert.ok(ours !== undefined && 'transaction' in ours, `result ${j} is a transaction`)
            assert.equal(ours.wireError, undefined)
            const checkpoint = result.transaction.checkpoint ?? 0n
            assert.deepEqual(decodeTransactionDetails(ours.transaction, checkpoint), decodeTransactionDetails(result.transaction, checkpoint))
            compared += 1
          } else if (result.oneofKind === 'error') {
            assert.deepEqual(ours, {error: {code: result.error.code, message: result.error.message}})
          } else assert.deepEqual(ours, {error: {code: 2, message: 'GetTransactionResult with neither a transaction nor an error'}})
        })
      })
    }
    assert.ok(compared > CASES, `${compared} transactions compared`)
  })
})
