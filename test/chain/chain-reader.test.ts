// Every method of the chain layer against the local Sui server, over a real socket.
import assert from 'node:assert/strict'

import {Transaction} from '@mysten/sui/transactions'

import {ChainError} from '../../src/chain/chain-error.ts'
import type {GrpcChainReader} from '../../src/chain/grpc-chain-reader.ts'
import {SUI_COIN_TYPE, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {startSuiServer} from '../support/sui-server/index.ts'
import type {SuiTestServer} from '../support/sui-server/index.ts'
import {collect, testReader} from './chain-test-support.ts'

const USDC = normalizeCoinType('0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC')
const PKG = '0x' + 'c0'.repeat(32)

describe('chain reader against the local Sui server', () => {
  let server: SuiTestServer
  let chain: GrpcChainReader

  before(async () => {
    server = await startSuiServer({chainId: 'c0ffee01', chain: 'localnet'})
  })
  after(async () => {
    await server.close()
  })
  beforeEach(() => {
    server.faults.reset()
    chain = testReader(server.url)
  })
  afterEach(() => chain.close())

  it('serviceInfo: chain id, name, heights, version and time', async () => {
    server.ledger.produceCheckpoint()
    const info = await chain.serviceInfo()
    assert.equal(info.chainId, 'c0ffee01')
    assert.equal(info.chain, 'localnet')
    assert.equal(info.checkpointHeight, server.ledger.serviceInfo().checkpointHeight)
    assert.equal(typeof info.checkpointHeight, 'bigint')
    assert.equal(info.lowestAvailableCheckpoint, 0n)
    assert.ok(info.serverVersion.length > 0)
    assert.ok(info.timestampMs > 1_600_000_000_000)
  })

  it('checkpoint: decodes sender, Move calls, events, balance changes, status, gas and sponsor', async () => {
    const {ledger} = server
    const alice = ledger.createAddress('alice')
    const bob = ledger.createAddress('bob')
    ledger.mint(alice, SUI_COIN_TYPE, 10_000_000_000n)
    ledger.mint(alice, USDC, 500_000_000n)
    const sent = ledger.transfer({
      from: alice,
      to: bob,
      coinType: USDC,
      amount: 125_000_000n,
      moveCalls: [{package: PKG, module: 'wallet', function: 'send'}],
      events: [{type: `${PKG}::wallet::Sent`, json: {amount: '125000000', memo: 'rent'}}],
    })
    const failed = ledger.transfer({from: alice, to: bob, coinType: USDC, amount: 1n, fail: 'MoveAbort(wallet, 7)'})
    const seq = ledger.produceCheckpoint()

    const cp = await chain.checkpoint(seq)
    assert.equal(cp.sequenceNumber, seq)
    assert.ok(cp.timestampMs > 0)
    const tx = cp.transactions.find((t) => t.digest === sent.digest)
    assert.ok(tx, 'the transfer is in the checkpoint')
    assert.equal(tx.parseError, undefined)
    assert.equal(tx.sender, alice)
    assert.equal(tx.gasOwner, alice)
    assert.equal(tx.checkpoint, seq)
    assert.equal(cp.transactions[tx.index], tx)
    assert.deepEqual(tx.moveCalls, [{package: PKG, module: 'wallet', function: 'send'}])
    // A checkpoint read names the events; their JSON comes with transactionDetails.
    assert.deepEqual(tx.events, [{type: `${PKG}::wallet::Sent`, sender: alice}])
    const [full] = await chain.transactionDetails([tx.digest])
    assert.deepEqual(full?.events, [{type: `${PKG}::wallet::Sent`, sender: alice, json: {amount: '125000000', memo: 'rent'}}])
    assert.deepEqual(tx.status, {success: true})
    const usdc = tx.balanceChanges.filter((c) => c.coinType === USDC)
    assert.deepEqual(usdc.map((c) => [c.address, c.amount]).sort(), [[alice, -125_000_000n], [bob, 125_000_000n]].sort())
    const gasPaid = tx.balanceChanges.find((c) => c.coinType === SUI_COIN_TYPE && c.address === alice)
    assert.equal(gasPaid?.amount, -tx.gasUsed)
    assert.ok(tx.gasUsed > 0n)

    const bad = cp.transactions.find((t) => t.digest === failed.digest)
    assert.equal(bad?.status.success, false)
    assert.match(bad?.status.success === false ? bad.status.error : '', /MoveAbort/)
  })

  it('checkpoint: a pruned or future sequence is NOT_FOUND, not retried', async () => {
    const error = await chain.checkpoint(1_000_000n).catch((e: unknown) => e)
    assert.ok(error instanceof ChainError)
    assert.equal(error.status, 'NOT_FOUND')
    assert.equal(error.attempts, 1)
    assert.equal(server.faults.calls('GetCheckpoint'), 1)
  })

  it('checkpoints: a range in order over ListCheckpoints', async () => {
    const traffic = server.ledger.generateTraffic({checkpoints: 40, txPerCheckpoint: [5, 10], seed: 3})
    const got = await collect(chain.checkpoints(traffic.firstCheckpoint, traffic.lastCheckpoint))
    assert.deepEqual(got.map((c) => c.sequenceNumber), range(traffic.firstCheckpoint, traffic.lastCheckpoint))
    for (const cp of got) {
      const expected = server.ledger.checkpoint(cp.sequenceNumber)
      assert.deepEqual(cp.transactions.map((t) => t.digest), expected?.transactions.map((t) => t.digest))
    }
    assert.ok(got.every((c) => c.transactions.every((t) => t.parseError === undefined)))
    assert.equal(chain.listCheckpointsSupport, 'supported')
    assert.equal(server.faults.calls('GetCheckpoint'), 0)
  })

  it('checkpoints: resumes where a dropped stream stopped, yielding each checkpoint once', async () => {
    const traffic = server.ledger.generateTraffic({checkpoints: 23, txPerCheckpoint: [2, 4], seed: 4})
    server.faults.endStreamsAfter('ListCheckpoints', 5, 'UNAVAILABLE')
    const got = await collect(chain.checkpoints(traffic.firstCheckpoint, traffic.lastCheckpoint))
    assert.deepEqual(got.map((c) => c.sequenceNumber), range(traffic.firstCheckpoint, traffic.lastCheckpoint))
    assert.equal(server.faults.calls('ListCheckpoints'), 5)
  })

  it('checkpoints: stopping early cancels the stream', async () => {
    const traffic = server.ledger.generateTraffic({checkpoints: 10, txPerCheckpoint: [2, 3], seed: 5})
    const got = []
    for await (const cp of chain.checkpoints(traffic.firstCheckpoint, traffic.lastCheckpoint)) {
      got.push(cp)
      if (got.length === 3) break
    }
    assert.equal(got.length, 3)
  })

  it('subscribe: checkpoints as they are produced, ending cleanly on abort', async () => {
    const controller = new AbortController()
    const seen: bigint[] = []
    const producer = setInterval(() => server.ledger.produceCheckpoint(), 20)
    try {
      for await (const cp of chain.subscribe(controller.signal)) {
        seen.push(cp.sequenceNumber)
        if (seen.length === 3) controller.abort()
      }
    } finally {
      clearInterval(producer)
    }
    assert.equal(seen.length, 3)
    assert.deepEqual(seen, [seen[0] as bigint, (seen[0] as bigint) + 1n, (seen[0] as bigint) + 2n])
  })

  it('balance and balances: total, coin objects and address balance', async () => {
    const {ledger} = server
    const carol = ledger.createAddress('carol')
    ledger.mint(carol, USDC, 300n)
    ledger.mint(carol, USDC, 200n)
    ledger.mint(carol, USDC, 1_000n, {addressBalance: true})
    ledger.mint(carol, SUI_COIN_TYPE, 7n)
    const usdc = await chain.balance(carol, USDC)
    assert.deepEqual(usdc, {coinType: USDC, total: 1_500n, coinBalance: 500n, addressBalance: 1_000n})
    // The short form of a coin type is accepted and normalized before it is sent.
    const sui = await chain.balance(carol, '0x2::sui::SUI')
    assert.equal(sui.total, 7n)
    const all = await chain.balances(carol)
    const byType = new Map(all.map((b) => [b.coinType, b]))
    assert.equal(byType.get(USDC)?.total, 1_500n)
    assert.equal(byType.get(SUI_COIN_TYPE)?.total, 7n)
    await assert.rejects(chain.balance('carol', USDC), TypeError)
  })

  it('coins: every coin object, across pages', async () => {
    const {ledger} = server
    const dave = ledger.createAddress('dave')
    for (let i = 1; i <= 1_205; i++) ledger.mint(dave, USDC, BigInt(i))
    ledger.mint(dave, SUI_COIN_TYPE, 1n)
    const coins = await chain.coins(dave, USDC)
    assert.equal(coins.length, 1_205)
    assert.equal(new Set(coins.map((c) => c.objectId)).size, 1_205)
    assert.equal(coins.reduce((sum, c) => sum + c.balance, 0n), (1_205n * 1_206n) / 2n)
    assert.ok(coins.every((c) => typeof c.version === 'bigint' && c.digest.length > 0))
    assert.ok(server.faults.calls('ListOwnedObjects') >= 2, 'paged')
  })

  it('simulate and execute a signed transfer', async () => {
    const {ledger} = server
    const erin = ledger.createAddress('erin')
    const frank = ledger.createAddress('frank')
    ledger.mint(erin, SUI_COIN_TYPE, 5_000_000_000n)
    const [gasCoin] = await chain.coins(erin, SUI_COIN_TYPE)
    assert.ok(gasCoin)
    const tx = new Transaction()
    tx.setSender(erin)
    tx.setGasPrice(1_000n)
    tx.setGasBudget(50_000_000n)
    tx.setGasPayment([{objectId: gasCoin.objectId, version: gasCoin.version.toString(), digest: gasCoin.digest}])
    const [coin] = tx.splitCoins(tx.gas, [1_000_000n])
    tx.transferObjects([coin!], frank)
    const txBytes = await tx.build()

    const simulated = await chain.simulate(txBytes)
    assert.deepEqual(simulated.status, {success: true})
    assert.ok(simulated.gasUsed > 0n)

    const executed = await chain.execute({txBytes, signatures: [Buffer.alloc(97, 1).toString('base64')]})
    assert.deepEqual(executed.status, {success: true})
    assert.ok(executed.digest.length > 0)
    assert.equal(executed.balanceChanges.find((c) => c.address === frank)?.amount, 1_000_000n)
    assert.equal((await chain.balance(frank, SUI_COIN_TYPE)).total, 1_000_000n)
  })

  it('counts calls, errors and latency per method', async () => {
    await chain.serviceInfo()
    await chain.checkpoint(10_000_000n).catch(() => {})
    const {methods} = chain.metrics()
    assert.equal(methods.GetServiceInfo?.calls, 1)
    assert.equal(methods.GetServiceInfo?.latencyMs.count, 1)
    assert.deepEqual(methods.GetCheckpoint?.errors, {NOT_FOUND: 1})
  })
})

function range(from: bigint, to: bigint): bigint[] {
  const out: bigint[] = []
  for (let s = from; s <= to; s++) out.push(s)
  return out
}
