// The hand-written reader and the SDK's decoder must lead the relevance rule to the same answer
// for every transaction: the poller stores what the rule keeps, so a disagreement is a lost or an
// extra transaction. Checkpoints come from the test server's traffic generator (mainnet-shaped,
// 60 transactions) at 1% and 10% relevant share, as the server encodes them for CHECKPOINT_READ_MASK.
import assert from 'node:assert/strict'

import {GrpcTypes} from '@mysten/sui/grpc'

import {decodeCheckpoint} from '../../src/chain/wire/checkpoint-decoder.ts'
import {readListCheckpointsResponse} from '../../src/chain/wire/checkpoint-wire.ts'
import {CHECKPOINT_READ_MASK} from '../../src/chain/wire/read-masks.ts'
import type {CheckpointRecord} from '../../src/chain/records.ts'
import {RelevanceFilter} from '../../src/ingest/relevance-filter.ts'
import {SUI_COIN_TYPE, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {idOf} from '../../sui-server/chain-builder.ts'
import {CheckpointCache} from '../../sui-server/checkpoint-cache.ts'
import {Ledger} from '../../sui-server/index.ts'

const CHECKPOINTS = 20
const USDC = normalizeCoinType('0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC')
const PACKAGE = idOf('wire-relevance', 'package')

function viaWire(bytes: Uint8Array): CheckpointRecord {
  const wire = readListCheckpointsResponse(bytes).checkpoint
  assert.ok(wire)
  return decodeCheckpoint(wire.checkpoint, undefined, wire.transactionErrors)
}

function viaSdk(bytes: Uint8Array): CheckpointRecord {
  const checkpoint = GrpcTypes.ListCheckpointsResponse.fromBinary(bytes).checkpoint
  assert.ok(checkpoint)
  return decodeCheckpoint(checkpoint)
}

describe('checkpoint wire reader: relevance as with the SDK decoder', () => {
  for (const share of [0.01, 0.1]) {
    it(`gives the same relevance for every generated transaction at ${share * 100}% relevant`, () => {
      const ledger = new Ledger()
      const cache = new CheckpointCache(ledger)
      const mask = [...CHECKPOINT_READ_MASK]
      cache.warm(mask)
      const accounts = Array.from({length: 20}, (_, i) => ledger.createAddress(`wire-relevance-${i}`))
      const traffic = ledger.generateTraffic({checkpoints: CHECKPOINTS, txPerCheckpoint: [60, 60], relevantShare: share, relevantAddresses: accounts, relevantPackages: [PACKAGE], seed: 5})
      const monitored = new Set(accounts)
      const filter = new RelevanceFilter({
        packages: [PACKAGE],
        tokens: new TokenRegistry([
          {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
          {symbol: 'USDC', coinType: USDC, decimals: 6},
        ]),
        accounts: {has: (address: string) => monitored.has(address)},
      })
      const kept = new Set<string>()
      let transactions = 0
      for (let seq = traffic.firstCheckpoint; seq <= traffic.lastCheckpoint; seq++) {
        const checkpoint = ledger.checkpoint(seq)
        assert.ok(checkpoint)
        const bytes = cache.listFrame(checkpoint, mask)
        const wire = viaWire(bytes)
        const sdk = viaSdk(bytes)
        assert.equal(wire.transactions.length, sdk.transactions.length)
        for (const [i, tx] of wire.transactions.entries()) {
          assert.equal(tx.parseError, undefined, `checkpoint ${seq}, transaction ${i}`)
          const reasons = filter.reasons(tx)
          assert.deepEqual(reasons, filter.reasons(sdk.transactions[i]!), `checkpoint ${seq}, transaction ${i} (${tx.digest})`)
          if (reasons.length > 0) kept.add(tx.digest)
          transactions += 1
        }
      }
      // Both keep at least what the generator made relevant.
      assert.equal(transactions, CHECKPOINTS * 60)
      for (const digest of traffic.relevantDigests) assert.ok(kept.has(digest), `relevant ${digest} not kept`)
      assert.ok(traffic.relevantDigests.length > 0)
    })
  }
})
