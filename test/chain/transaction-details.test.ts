// ChainReader.transactionDetails against the local Sui server: the second tier of a checkpoint
// read, which fetches in full (events with their JSON) the few transactions that matter.
import assert from 'node:assert/strict'

import {ChainError} from '../../src/chain/chain-error.ts'
import type {GrpcChainReader} from '../../src/chain/reader/grpc-chain-reader.ts'
import {MAX_BATCH_GET_TRANSACTIONS} from '../../src/chain/reader/grpc-chain-reader.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {digestOf} from '../../sui-server/chain-builder.ts'
import {startSuiServer} from '../../sui-server/index.ts'
import type {SuiTestServer} from '../../sui-server/index.ts'
import {collect, testReader} from './chain-test-support.ts'

const PKG = '0x' + 'd0'.repeat(32)

describe('chain reader: transactionDetails', () => {
  let server: SuiTestServer
  let chain: GrpcChainReader

  before(async () => {
    server = await startSuiServer()
  })
  after(async () => {
    await server.close()
  })
  beforeEach(() => {
    server.faults.reset()
    chain = testReader(server.url, {maxAttempts: 4})
  })
  afterEach(() => chain.close())

  /** A new address with SUI for gas. */
  function funded(name: string): string {
    const address = server.ledger.createAddress(name)
    server.ledger.mint(address, SUI_COIN_TYPE, 10_000_000_000n)
    return address
  }

  it('gives the checkpoint read’s record with each event’s JSON, in the order asked', async () => {
    const {ledger} = server
    const alice = funded('details-alice')
    const paid = ledger.submit({
      sender: alice,
      moveCalls: [{package: PKG, module: 'pay', function: 'pay'}],
      events: [
        {type: `${PKG}::pay::Paid`, json: {amount: '18446744073709551615', memo: 'rent', to: [alice]}},
        {type: `${PKG}::pay::Fee`, json: {bps: 30}},
      ],
    })
    const seq = ledger.produceCheckpoint()
    const traffic = ledger.generateTraffic({checkpoints: 6, txPerCheckpoint: [10, 20], seed: 31})

    const [summary] = (await chain.checkpoint(seq)).transactions.filter((t) => t.digest === paid.digest)
    assert.ok(summary)
    assert.deepEqual(summary.events, [{type: `${PKG}::pay::Paid`, sender: alice}, {type: `${PKG}::pay::Fee`, sender: alice}], 'a checkpoint read has no event JSON')

    const summaries = (await collect(chain.checkpoints(traffic.firstCheckpoint, traffic.lastCheckpoint))).flatMap((c) => c.transactions)
    // Out of chain order, on purpose: the answer follows the request.
    const picked = [summary, ...summaries.filter((_, i) => i % 7 === 3).reverse()]
    const details = await chain.transactionDetails(picked.map((t) => t.digest))
    assert.deepEqual(details.map((t) => t.digest), picked.map((t) => t.digest))
    for (const [i, full] of details.entries()) {
      const read = picked[i]!
      assert.equal(full.parseError, undefined)
      // Everything the checkpoint read has, and where the transaction sits, agree.
      assert.deepEqual({...full, events: full.events.map(({type, sender}) => ({type, sender}))}, read)
      const expected = ledger.transaction(read.digest)?.record.events.map((e) => e.json)
      assert.deepEqual(full.events.map((e) => e.json), expected)
    }
    assert.deepEqual(details[0]?.events.map((e) => e.json), [{amount: '18446744073709551615', memo: 'rent', to: [alice]}, {bps: 30}])
    assert.equal(server.faults.calls('BatchGetTransactions'), 1)
  })

  it('eventContents: each event’s type and JSON at its place, the checkpoint, nothing of the summary; split and ordered alike', async () => {
    const {ledger} = server
    const bob = funded('contents-bob')
    const paid = ledger.submit({
      sender: bob,
      events: [
        {type: `${PKG}::pay::Paid`, json: {amount: '7', memo: null}},
        {type: `${PKG}::pay::Fee`, json: {bps: 30}},
      ],
    })
    const seq = ledger.produceCheckpoint()
    const traffic = ledger.generateTraffic({checkpoints: 8, txPerCheckpoint: [60, 60], seed: 34})
    const others: string[] = []
    for (let n = traffic.firstCheckpoint; n <= traffic.lastCheckpoint; n++) others.push(...(ledger.checkpoint(n)?.transactions.map((t) => t.digest) ?? []))
    const asked = [paid.digest, ...others.slice(0, MAX_BATCH_GET_TRANSACTIONS + 20).reverse()]
    server.faults.reset()
    const contents = await chain.eventContents(asked)
    assert.equal(server.faults.calls('BatchGetTransactions'), 2)
    assert.deepEqual(contents.map((t) => t.digest), asked)
    assert.deepEqual(contents[0], {
      digest: paid.digest,
      checkpoint: seq,
      events: [
        {type: `${PKG}::pay::Paid`, json: {amount: '7', memo: null}},
        {type: `${PKG}::pay::Fee`, json: {bps: 30}},
      ],
    })
    for (const [i, record] of contents.entries()) {
      const tx = ledger.transaction(asked[i]!)
      assert.equal(record.checkpoint, tx?.checkpoint?.sequenceNumber)
      assert.deepEqual(record.events.map((e) => e.json), tx?.record.events.map((e) => e.json))
    }
  })

  it(`splits a long list into calls of ${MAX_BATCH_GET_TRANSACTIONS} digests, keeping the order`, async () => {
    const traffic = server.ledger.generateTraffic({checkpoints: 8, txPerCheckpoint: [60, 60], seed: 32})
    const digests: string[] = []
    for (let seq = traffic.firstCheckpoint; seq <= traffic.lastCheckpoint; seq++) digests.push(...(server.ledger.checkpoint(seq)?.transactions.map((t) => t.digest) ?? []))
    const asked = digests.slice(0, 2 * MAX_BATCH_GET_TRANSACTIONS + 50).reverse()
    const details = await chain.transactionDetails(asked)
    assert.deepEqual(details.map((t) => t.digest), asked)
    assert.equal(server.faults.calls('BatchGetTransactions'), 3)
    assert.equal(chain.metrics().methods.BatchGetTransactions?.calls, 3)
  })

  it('fails with NOT_FOUND, naming the digest, when one transaction is unknown: nothing is left out silently', async () => {
    const traffic = server.ledger.generateTraffic({checkpoints: 1, txPerCheckpoint: [5, 5], seed: 33})
    const known = server.ledger.checkpoint(traffic.lastCheckpoint)?.transactions.map((t) => t.digest) ?? []
    const unknown = digestOf('never executed')
    const error = await chain.transactionDetails([...known.slice(0, 2), unknown, ...known.slice(2)]).catch((e: unknown) => e)
    assert.ok(error instanceof ChainError)
    assert.equal(error.status, 'NOT_FOUND')
    assert.equal(error.method, 'BatchGetTransactions')
    assert.equal(error.transient, false)
    assert.equal(error.attempts, 1, 'an answer, not retried')
    assert.match(error.message, new RegExp(unknown))
    assert.equal(server.faults.calls('BatchGetTransactions'), 1)
  })

  it('treats a transaction executed but not checkpointed, or pruned, as NOT_FOUND', async () => {
    const {ledger} = server
    const alice = ledger.createAddress('details-pending')
    const minted = ledger.mint(alice, SUI_COIN_TYPE, 1_000_000n)
    const pending = await chain.transactionDetails([minted.digest]).catch((e: unknown) => e)
    assert.ok(pending instanceof ChainError)
    assert.equal(pending.status, 'NOT_FOUND')
    assert.match(pending.message, /not in a checkpoint yet/)

    const seq = ledger.produceCheckpoint()
    assert.equal((await chain.transactionDetails([minted.digest]))[0]?.checkpoint, seq)
    ledger.produceCheckpoint()
    ledger.prune(seq + 1n)
    const pruned = await chain.transactionDetails([minted.digest]).catch((e: unknown) => e)
    assert.equal((pruned as ChainError).status, 'NOT_FOUND')
  })

  it('retries a failed call through the call policy, and gives up after maxAttempts', async () => {
    const traffic = server.ledger.generateTraffic({checkpoints: 2, txPerCheckpoint: [20, 20], seed: 34})
    const digests = server.ledger.checkpoint(traffic.lastCheckpoint)?.transactions.map((t) => t.digest) ?? []
    server.faults.set({seed: 5}).failRate('BatchGetTransactions', 'UNAVAILABLE', 0.5)
    for (let i = 0; i < 6; i++) assert.deepEqual((await chain.transactionDetails(digests)).map((t) => t.digest), digests)
    const m = chain.metrics().methods.BatchGetTransactions
    assert.ok(m && m.retries > 0, 'some calls were retried')
    assert.equal(server.faults.calls('BatchGetTransactions'), m.calls)

    server.faults.failRate('BatchGetTransactions', 'UNAVAILABLE', 1)
    const before = server.faults.calls('BatchGetTransactions')
    const error = await chain.transactionDetails(digests).catch((e: unknown) => e)
    assert.ok(error instanceof ChainError)
    assert.equal(error.status, 'UNAVAILABLE')
    assert.equal(error.transient, true)
    assert.equal(server.faults.calls('BatchGetTransactions') - before, 4)
  })

  it('refuses a malformed digest before sending anything, and sends nothing for an empty list', async () => {
    await assert.rejects(chain.transactionDetails(['not-a-digest']), TypeError)
    await assert.rejects(chain.transactionDetails(['']), TypeError)
    assert.deepEqual(await chain.transactionDetails([]), [])
    assert.equal(server.faults.calls('BatchGetTransactions'), 0)
  })
})
