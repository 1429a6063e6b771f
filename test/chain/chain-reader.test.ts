// Every method of the chain layer against the local Sui server, over a real socket.
import assert from 'node:assert/strict'

import {Ed25519Keypair} from '@mysten/sui/keypairs/ed25519'
import {Transaction} from '@mysten/sui/transactions'

import {ChainError} from '../../src/chain/chain-error.ts'
import type {GrpcChainReader} from '../../src/chain/reader/grpc-chain-reader.ts'
import type {BalanceRecord} from '../../src/chain/records.ts'
import {SUI_COIN_TYPE, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {startSuiServer} from '../../sui-server/index.ts'
import type {SuiTestServer} from '../../sui-server/index.ts'
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
    const height = ledger.produceCheckpoint()
    const usdc = await chain.balance(carol, USDC, {heightBefore: height})
    assert.deepEqual(usdc, {coinType: USDC, total: 1_500n, coinBalance: 500n, addressBalance: 1_000n, checkpoint: height, window: {from: height - 1n, to: height + 1n}})
    // The short form of a coin type is accepted and normalized before it is sent.
    const sui = await chain.balance(carol, '0x2::sui::SUI')
    assert.equal(sui.total, 7n)
    const all = await chain.balances(carol)
    const byType = new Map(all.balances.map((b) => [b.coinType, b]))
    assert.equal(byType.get(USDC)?.total, 1_500n)
    assert.equal(byType.get(SUI_COIN_TYPE)?.total, 7n)
    assert.deepEqual(all.balances.map((b) => b.checkpoint), [height, height])
    assert.equal(all.checkpoint, height)
    await assert.rejects(chain.balance('carol', USDC), TypeError)
  })

  it('balance and balances: as of the checkpoint height the reply reports', async () => {
    const {ledger} = server
    const [gina, hal] = [ledger.createAddress('gina'), ledger.createAddress('hal')]
    ledger.mint(gina, SUI_COIN_TYPE, 5_000_000_000n)
    ledger.mint(gina, USDC, 400n)
    const before = ledger.produceCheckpoint()
    ledger.transfer({from: gina, to: hal, coinType: USDC, amount: 150n, toAddressBalance: true})
    // Executed but in no checkpoint yet: the node reports the balance as of `before`.
    assert.deepEqual(withoutWindow(await chain.balance(hal, USDC)), {coinType: USDC, total: 0n, coinBalance: 0n, addressBalance: 0n, checkpoint: before})
    assert.deepEqual(withoutWindow((await chain.balances(gina)).balances.find((b) => b.coinType === USDC)), {coinType: USDC, total: 400n, coinBalance: 400n, addressBalance: 0n, checkpoint: before})
    const sealed = ledger.produceCheckpoint()
    assert.deepEqual(withoutWindow(await chain.balance(hal, USDC)), {coinType: USDC, total: 150n, coinBalance: 0n, addressBalance: 150n, checkpoint: sealed})
    assert.deepEqual(withoutWindow((await chain.balances(gina)).balances.find((b) => b.coinType === USDC)), {coinType: USDC, total: 250n, coinBalance: 250n, addressBalance: 0n, checkpoint: sealed})
  })

  it('balance and balances: the window reaches down to the height known before the read, and one checkpoint either side', async () => {
    const {ledger} = server
    const owner = ledger.createAddress('ines')
    const known = (await chain.serviceInfo()).checkpointHeight
    ledger.produceCheckpoint()
    const tip = ledger.produceCheckpoint()
    // Nothing given: the highest height any reply named before (here GetServiceInfo's).
    assert.deepEqual((await chain.balance(owner, USDC)).window, {from: known - 1n, to: tip + 1n})
    // Given: that height; one above the header is another node's and says nothing of this one.
    assert.deepEqual((await chain.balance(owner, USDC, {heightBefore: tip})).window, {from: tip - 1n, to: tip + 1n})
    assert.deepEqual((await chain.balance(owner, USDC, {heightBefore: tip + 5n})).window, {from: tip - 1n, to: tip + 1n})
    // An owner holding nothing: an empty listing still has its height.
    const empty = await chain.balances(owner, {heightBefore: tip})
    assert.deepEqual([empty.balances, empty.checkpoint, empty.window], [[], tip, {from: tip - 1n, to: tip + 1n}])
  })

  it('balances: each page carries the height of its own reply', async () => {
    const {ledger} = server
    const ivan = ledger.createAddress('ivan')
    const types = Array.from({length: 1_001}, (_, i) => normalizeCoinType(`${PKG}::c${i}::C${i}`))
    for (const type of types) ledger.mint(ivan, type, 1n)
    ledger.produceCheckpoint()
    // Checkpoints are sealed while the pages are read: each reply is as of a later one.
    server.faults.latency('ListBalances', 40)
    const producer = setInterval(() => ledger.produceCheckpoint(), 5)
    let all
    try {
      all = await chain.balances(ivan)
    } finally {
      clearInterval(producer)
    }
    assert.equal(server.faults.calls('ListBalances'), 2)
    assert.equal(all.balances.length, 1_001)
    const [first, second] = [new Set(all.balances.slice(0, 1_000).map((b) => b.checkpoint)), new Set(all.balances.slice(1_000).map((b) => b.checkpoint))]
    assert.equal(first.size, 1)
    assert.equal(second.size, 1)
    assert.ok([...second][0]! > [...first][0]!, `page heights ${[...first]} then ${[...second]}`)
    assert.ok([...second][0]! <= ledger.checkpointHeight)
    // One window for the listing: from below the first page's height to above the second's.
    assert.equal(all.checkpoint, [...second][0])
    assert.ok(all.balances.every((b) => b.window.from < [...first][0]! && b.window.to === all.checkpoint + 1n))
  })

  it('balance and balances: a reply without a usable x-sui-checkpoint-height is a permanent ChainError naming it', async () => {
    const owner = server.ledger.createAddress('judy')
    server.faults.headers('GetBalance', {'x-sui-checkpoint-height': null})
    server.faults.headers('ListBalances', {'x-sui-checkpoint-height': '12abc'})
    const missing = await chain.balance(owner, USDC).catch((e: unknown) => e)
    assert.ok(missing instanceof ChainError)
    assert.deepEqual([missing.method, missing.status, missing.transient, missing.attempts], ['GetBalance', 'DATA_LOSS', false, 1])
    assert.match(missing.message, /x-sui-checkpoint-height header is missing/)
    const garbled = await chain.balances(owner).catch((e: unknown) => e)
    assert.ok(garbled instanceof ChainError)
    assert.deepEqual([garbled.method, garbled.status, garbled.transient, garbled.attempts], ['ListBalances', 'DATA_LOSS', false, 1])
    assert.match(garbled.message, /x-sui-checkpoint-height header is not a u64: "12abc"/)
    server.faults.headers('GetBalance', {'x-sui-checkpoint-height': '18446744073709551616'}) // 2^64
    await assert.rejects(chain.balance(owner, USDC), /x-sui-checkpoint-height header is not a u64/)
  })

  it('balances over live traffic: a balance read at its checkpoint plus the changes of later checkpoints is the balance now', async () => {
    const {ledger} = server
    const watched = ['kim', 'lee', 'max'].map((label) => ledger.createAddress(label))
    for (const owner of watched) {
      ledger.mint(owner, SUI_COIN_TYPE, 1_000_000_000_000n)
      ledger.mint(owner, USDC, 1_000_000n)
    }
    ledger.produceCheckpoint()
    ledger.startProducing(50, {txPerCheckpoint: [3, 6], relevantShare: 0.5, relevantAddresses: watched, seed: 21})
    // Transfers executed between checkpoints, each sealed by the next one: reads in between must not count them.
    let n = 0
    const transfers = setInterval(() => {
      n += 1
      ledger.transfer({from: watched[n % 3]!, to: watched[(n + 1) % 3]!, coinType: n % 4 === 0 ? SUI_COIN_TYPE : USDC, amount: BigInt(n), toAddressBalance: n % 2 === 0})
    }, 3)
    const reads: {owner: string; coinType: string; total: bigint; checkpoint: bigint}[] = []
    try {
      const until = performance.now() + 400
      while (performance.now() < until) {
        for (const owner of watched) for (const b of (await chain.balances(owner)).balances) reads.push({owner, ...b})
      }
    } finally {
      ledger.stopProducing()
      clearInterval(transfers)
    }
    const tip = ledger.produceCheckpoint()
    const from = reads.reduce((min, r) => (r.checkpoint < min ? r.checkpoint : min), tip)
    assert.ok(tip - from >= 5, `reads span checkpoints ${from}..${tip}`)
    const changes = new Map<string, Map<bigint, bigint>>() // owner + type → checkpoint → net change
    for await (const cp of chain.checkpoints(from + 1n, tip)) {
      for (const c of cp.transactions.flatMap((t) => t.balanceChanges)) {
        const key = `${c.address} ${c.coinType}`
        const perCheckpoint = changes.get(key) ?? new Map<bigint, bigint>()
        perCheckpoint.set(cp.sequenceNumber, (perCheckpoint.get(cp.sequenceNumber) ?? 0n) + c.amount)
        changes.set(key, perCheckpoint)
      }
    }
    const now = new Map<string, bigint>()
    for (const owner of watched) {
      for (const b of (await chain.balances(owner)).balances) {
        assert.equal(b.checkpoint, tip)
        now.set(`${owner} ${b.coinType}`, b.total)
      }
    }
    for (const read of reads) {
      const key = `${read.owner} ${read.coinType}`
      let later = 0n
      for (const [seq, amount] of changes.get(key) ?? []) if (seq > read.checkpoint) later += amount
      assert.equal(read.total + later, now.get(key) ?? 0n, `${key} read at ${read.checkpoint}`)
    }
  })

  it('coins: every coin object, across pages', async () => {
    const {ledger} = server
    const dave = ledger.createAddress('dave')
    for (let i = 1; i <= 1_205; i++) ledger.mint(dave, USDC, BigInt(i))
    ledger.mint(dave, SUI_COIN_TYPE, 1n)
    ledger.produceCheckpoint()
    const coins = await chain.coins(dave, USDC)
    assert.equal(coins.length, 1_205)
    assert.equal(new Set(coins.map((c) => c.objectId)).size, 1_205)
    assert.equal(coins.reduce((sum, c) => sum + c.balance, 0n), (1_205n * 1_206n) / 2n)
    assert.ok(coins.every((c) => typeof c.version === 'bigint' && c.digest.length > 0))
    assert.ok(server.faults.calls('ListOwnedObjects') >= 2, 'paged')
  })

  it('coinInfo: decimals, symbol and name from the coin metadata; an unknown coin type is NOT_FOUND, not retried', async () => {
    server.ledger.registerCoin(USDC, {decimals: 6, name: 'USD Coin', symbol: 'USDC'})
    assert.deepEqual(await chain.coinInfo('0x2::sui::SUI'), {coinType: SUI_COIN_TYPE, decimals: 9, symbol: 'SUI', name: 'Sui'})
    assert.deepEqual(await chain.coinInfo(USDC), {coinType: USDC, decimals: 6, symbol: 'USDC', name: 'USD Coin'})
    const error = await chain.coinInfo(`${PKG}::nothing::NOTHING`).catch((e: unknown) => e)
    assert.ok(error instanceof ChainError)
    assert.equal(error.status, 'NOT_FOUND')
    assert.equal(error.attempts, 1)
    assert.equal(server.faults.calls('GetCoinInfo'), 3)
  })

  it('simulate and execute a signed transfer', async () => {
    const {ledger} = server
    const erinKey = new Ed25519Keypair()
    const erin = erinKey.toSuiAddress()
    const frank = ledger.createAddress('frank')
    ledger.mint(erin, SUI_COIN_TYPE, 5_000_000_000n)
    ledger.produceCheckpoint()
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

    const height = ledger.checkpointHeight
    const {signature} = await erinKey.signTransaction(txBytes)
    const executed = await chain.execute({txBytes, signatures: [signature]})
    assert.deepEqual(executed.status, {success: true})
    assert.ok(executed.digest.length > 0)
    assert.equal(executed.checkpoint, undefined, 'the node answers before checkpointing')
    assert.equal(executed.balanceChanges.find((c) => c.address === frank)?.amount, 1_000_000n)
    // The server seals it into a checkpoint of its own, which the balance read is as of.
    const balance = await chain.balance(frank, SUI_COIN_TYPE)
    assert.equal(balance.total, 1_000_000n)
    assert.equal(balance.checkpoint, height + 1n)
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

/** A balance record without its window, for comparing the rest. */
function withoutWindow(record: BalanceRecord | undefined): Omit<BalanceRecord, 'window'> | undefined {
  if (!record) return undefined
  const {window: _window, ...rest} = record
  return rest
}
