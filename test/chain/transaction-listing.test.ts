// ChainReader.transactionsAffecting and supportsTransactionListing against the local Sui server:
// the address filter, resuming after the node's scan and item limits and after a cut stream,
// and the failures a caller branches on (UNIMPLEMENTED, pruned, beyond the tip).
import assert from 'node:assert/strict'

import {ChainError} from '../../src/chain/chain-error.ts'
import type {AffectedTransactionsProgress} from '../../src/chain/reader/chain-reader.ts'
import type {GrpcChainReader} from '../../src/chain/reader/grpc-chain-reader.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {type SuiTestServer, type SuiTestServerOptions, startSuiServer} from '../../sui-server/index.ts'
import {affectedAddresses} from '../../sui-server/transaction-filter.ts'
import {collect, testReader} from './chain-test-support.ts'

const SUI = 1_000_000_000n
const PKG = '0x' + 'ab'.repeat(32)

describe('chain reader: transactions affecting addresses (ListTransactions)', () => {
  let server: SuiTestServer
  let reader: GrpcChainReader

  async function start(opts: SuiTestServerOptions = {}): Promise<void> {
    server = await startSuiServer(opts)
    reader = testReader(server.url)
  }
  afterEach(async () => {
    reader.close()
    await server.close()
  })

  /** What the ledger says affects any of `addresses` in from..to, in chain order. */
  function expected(addresses: string[], from: bigint, to: bigint): string[] {
    const out: string[] = []
    for (let seq = from; seq <= to; seq++) {
      for (const t of server.ledger.checkpoint(seq)?.transactions ?? []) if (addresses.some((a) => affectedAddresses(t).has(a))) out.push(t.digest)
    }
    return out
  }

  /** Digests in order, after checking that coveredThrough never goes back and ends at `to`. */
  function delivered(progress: AffectedTransactionsProgress[], to: bigint): string[] {
    let covered: bigint | undefined
    for (const p of progress) {
      if (covered !== undefined) assert.ok(p.coveredThrough !== undefined && p.coveredThrough >= covered, 'coveredThrough went back')
      covered = p.coveredThrough
    }
    assert.equal(covered, to)
    return progress.flatMap((p) => p.transactions.map((t) => t.digest))
  }

  it('delivers each transaction affecting any of the addresses once, in order, in full', async () => {
    await start()
    const {ledger} = server
    const [alice, bob, carol, dave, eve] = ['alice', 'bob', 'carol', 'dave', 'eve'].map((l) => ledger.createAddress(l)) as [string, string, string, string, string]
    for (const who of [alice, dave, eve]) ledger.mint(who, SUI_COIN_TYPE, 10n * SUI)
    const from = ledger.produceCheckpoint()
    const both = ledger.transfer({from: alice, to: bob, coinType: SUI_COIN_TYPE, amount: SUI, events: [{type: `${PKG}::pay::Paid`, json: {amount: '1000000000'}}]})
    ledger.transfer({from: eve, to: eve, coinType: SUI_COIN_TYPE, amount: 1n})
    const sponsored = ledger.submit({sender: carol, sponsor: dave})
    ledger.produceCheckpoint()
    ledger.transfer({from: eve, to: bob, coinType: SUI_COIN_TYPE, amount: 2n, toAddressBalance: true})
    const to = ledger.produceCheckpoint()
    ledger.mint(bob, SUI_COIN_TYPE, SUI) // after `to`
    ledger.produceCheckpoint()

    const progress = await collect(reader.transactionsAffecting([bob, dave, bob.replace(/^0x0*/, '0x')], from, to))
    const digests = delivered(progress, to)
    assert.deepEqual(digests, expected([bob, dave], from, to))
    assert.equal(digests.length, 4) // dave's funding at `from`, alice → bob, the sponsored one, eve → bob
    assert.equal(progress.at(-1)?.requests, 1)

    const [record] = progress.flatMap((p) => p.transactions).filter((t) => t.digest === both.digest)
    const cp = ledger.checkpoint(from + 1n)
    assert.equal(record?.checkpoint, from + 1n)
    assert.equal(record?.index, cp?.transactions.findIndex((t) => t.digest === both.digest))
    assert.equal(record?.timestampMs, Number(cp?.timestampMs))
    assert.equal(record?.sender, alice)
    assert.deepEqual(record?.events, [{type: `${PKG}::pay::Paid`, sender: alice, json: {amount: '1000000000'}}])
    assert.ok(record?.balanceChanges.some((c) => c.address === bob && c.amount === SUI))
    const sponsoredRecord = progress.flatMap((p) => p.transactions).find((t) => t.digest === sponsored.digest)
    assert.deepEqual([sponsoredRecord?.sender, sponsoredRecord?.gasOwner], [carol, dave])
    assert.equal(reader.transactionListingSupport, 'supported')
  })

  it('resumes after SCAN_LIMIT ends from the watermark, reaching what the ledger holds', async () => {
    await start({listTransactionsScanLimit: 4})
    const watched = [server.ledger.createAddress('w1'), server.ledger.createAddress('w2')]
    const traffic = server.ledger.generateTraffic({checkpoints: 25, seed: 11, relevantShare: 0.02, relevantAddresses: watched})
    const {firstCheckpoint: from, lastCheckpoint: to} = traffic
    const want = expected(watched, from, to)
    assert.ok(want.length >= 5, `${want.length} relevant`)

    const progress = await collect(reader.transactionsAffecting(watched, from, to))
    assert.deepEqual(delivered(progress, to), want)
    assert.equal(progress.at(-1)?.requests, 7) // 25 checkpoints, 4 a request
    assert.equal(server.faults.calls('ListTransactions'), 7)
  })

  it('pages through the node’s item limit', async () => {
    await start({listTransactionsMaxLimit: 3})
    const {ledger} = server
    const [alice, bob] = [ledger.createAddress(), ledger.createAddress()]
    ledger.mint(alice, SUI_COIN_TYPE, 100n * SUI)
    const from = ledger.produceCheckpoint()
    for (let i = 0; i < 10; i++) {
      ledger.transfer({from: alice, to: bob, coinType: SUI_COIN_TYPE, amount: SUI})
      if (i % 4 === 3) ledger.produceCheckpoint()
    }
    const to = ledger.produceCheckpoint()
    const progress = await collect(reader.transactionsAffecting([bob], from, to))
    assert.deepEqual(delivered(progress, to), expected([bob], from, to))
    assert.equal(progress.flatMap((p) => p.transactions).length, 10)
    assert.equal(progress.at(-1)?.requests, 4) // 3 + 3 + 3 + 1
  })

  it('resumes a stream cut after progress, delivering nothing twice', async () => {
    await start({listTransactionsMaxLimit: 1000})
    const {ledger} = server
    const [alice, bob] = [ledger.createAddress(), ledger.createAddress()]
    ledger.mint(alice, SUI_COIN_TYPE, 100n * SUI)
    const from = ledger.produceCheckpoint()
    for (let i = 0; i < 8; i++) {
      ledger.transfer({from: alice, to: bob, coinType: SUI_COIN_TYPE, amount: SUI})
      ledger.produceCheckpoint()
    }
    const to = ledger.checkpointHeight
    for (const status of ['UNAVAILABLE', 'OK'] as const) {
      server.faults.endStreamsAfter('ListTransactions', 3, status)
      const progress = await collect(reader.transactionsAffecting([bob], from, to))
      assert.deepEqual(delivered(progress, to), expected([bob], from, to), status)
      assert.ok((progress.at(-1)?.requests ?? 0) >= 3, status)
    }
  })

  it('UNIMPLEMENTED from a node without it: a ChainError, not retried, and remembered', async () => {
    await start({listTransactions: false})
    const alice = server.ledger.createAddress()
    const error = await collect(reader.transactionsAffecting([alice], 0n, 0n)).catch((e: unknown) => e)
    assert.ok(error instanceof ChainError, String(error))
    assert.deepEqual([error.method, error.status, error.attempts, error.transient], ['ListTransactions', 'UNIMPLEMENTED', 1, false])
    assert.equal(server.faults.calls('ListTransactions'), 1)
    assert.equal(reader.transactionListingSupport, 'unimplemented')
    assert.equal(await reader.supportsTransactionListing(), false)
    assert.equal(server.faults.calls('ListTransactions'), 1)
  })

  it('supportsTransactionListing asks once: true where the node serves it, false where it does not', async () => {
    await start()
    assert.equal(reader.transactionListingSupport, 'unknown')
    assert.equal(await reader.supportsTransactionListing(), true)
    assert.equal(await reader.supportsTransactionListing(), true)
    assert.equal(server.faults.calls('ListTransactions'), 1)
    const old = await startSuiServer({listTransactions: false})
    const oldReader = testReader(old.url)
    try {
      assert.equal(await oldReader.supportsTransactionListing(), false)
      assert.equal(oldReader.transactionListingSupport, 'unimplemented')
    } finally {
      oldReader.close()
      await old.close()
    }
  })

  it('fails a pruned `from` as a pruned checkpoint read does', async () => {
    await start()
    const alice = server.ledger.createAddress()
    for (let i = 0; i < 5; i++) {
      server.ledger.mint(alice, SUI_COIN_TYPE, SUI)
      server.ledger.produceCheckpoint()
    }
    server.ledger.prune(3n)
    const listing = await collect(reader.transactionsAffecting([alice], 1n, 5n)).catch((e: unknown) => e)
    const read = await reader.checkpoint(1n).catch((e: unknown) => e)
    assert.ok(listing instanceof ChainError && read instanceof ChainError)
    assert.deepEqual([listing.status, listing.transient], [read.status, read.transient])
    assert.equal(listing.status, 'NOT_FOUND')
    assert.deepEqual(delivered(await collect(reader.transactionsAffecting([alice], 3n, 5n)), 5n).length, 3)
  })

  it('delivers what there is, then OUT_OF_RANGE for a `to` beyond the node’s tip', async () => {
    await start()
    const alice = server.ledger.createAddress()
    const minted = server.ledger.mint(alice, SUI_COIN_TYPE, SUI)
    const tip = server.ledger.produceCheckpoint()
    const seen: string[] = []
    const error = await (async () => {
      for await (const p of reader.transactionsAffecting([alice], 0n, tip + 5n)) seen.push(...p.transactions.map((t) => t.digest))
    })().catch((e: unknown) => e)
    assert.deepEqual(seen, [minted.digest])
    assert.ok(error instanceof ChainError, String(error))
    assert.deepEqual([error.status, error.transient], ['OUT_OF_RANGE', true])
  })

  it('checks addresses before sending anything; no addresses or an empty range is nothing', async () => {
    await start()
    await assert.rejects(collect(reader.transactionsAffecting(['bob'], 0n, 0n)), TypeError)
    assert.deepEqual(await collect(reader.transactionsAffecting([], 0n, 0n)), [])
    assert.deepEqual(await collect(reader.transactionsAffecting([server.ledger.faucet], 3n, 2n)), [])
    assert.equal(server.faults.calls('ListTransactions'), 0)
  })
})
