import assert from 'node:assert/strict'
import {type SuiGrpcClient} from '@mysten/sui/grpc'
import {type SuiTestServer, startSuiServer} from '../../sui-server/index.ts'
import {Random} from '../../sui-server/random.ts'
import {SUI_COIN_TYPE, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {clientFor} from './client.ts'

const USDC = '0xa1ec7fc00a6f40db9693ad1415d0c193ad3906494428cf252621037bd7117e29::usdc::USDC'

describe('sui test server: StateService against the real client', () => {
  let sui: SuiTestServer
  let client: SuiGrpcClient

  beforeEach(async () => {
    sui = await startSuiServer()
    client = clientFor(sui.port)
  })
  afterEach(() => sui.close())

  it('reports balance = coin balance + address balance, for short and long coin types', async () => {
    const alice = sui.ledger.createAddress()
    sui.ledger.mint(alice, SUI_COIN_TYPE, 3_000_000_000n)
    sui.ledger.mint(alice, '0x2::sui::SUI', 2_000_000_000n, {addressBalance: true})
    sui.ledger.produceCheckpoint()
    for (const coinType of ['0x2::sui::SUI', SUI_COIN_TYPE]) {
      const {balance} = await client.core.getBalance({owner: alice, coinType})
      assert.equal(balance.coinBalance, '3000000000')
      assert.equal(balance.addressBalance, '2000000000')
      assert.equal(balance.balance, '5000000000')
    }
  })

  it('keeps balances consistent with the balance changes of every transaction', async () => {
    const [alice, bob] = [sui.ledger.createAddress(), sui.ledger.createAddress()]
    sui.ledger.mint(alice, SUI_COIN_TYPE, 5_000_000_000n)
    sui.ledger.mint(alice, USDC, 700n)
    sui.ledger.mint(alice, USDC, 300n, {addressBalance: true})
    // 900 needs both coins and 200 of the address balance.
    sui.ledger.transfer({from: alice, to: bob, coinType: USDC, amount: 900n})
    sui.ledger.transfer({from: alice, to: bob, coinType: USDC, amount: 50n, toAddressBalance: true})
    const seq = sui.ledger.produceCheckpoint()
    const sums = new Map<string, bigint>()
    for (const t of sui.ledger.checkpoint(seq)?.transactions ?? []) {
      for (const c of t.balanceChanges) sums.set(`${c.address} ${c.coinType}`, (sums.get(`${c.address} ${c.coinType}`) ?? 0n) + c.amount)
    }
    for (const owner of [alice, bob]) {
      const {balances} = await client.core.listBalances({owner})
      for (const b of balances) assert.equal(BigInt(b.balance), sums.get(`${owner} ${b.coinType}`) ?? 0n, `${owner} ${b.coinType}`)
    }
    const bobUsdc = (await client.core.getBalance({owner: bob, coinType: USDC})).balance
    assert.deepEqual([bobUsdc.coinBalance, bobUsdc.addressBalance], ['900', '50'])
    const aliceUsdc = (await client.core.getBalance({owner: alice, coinType: USDC})).balance
    assert.deepEqual([aliceUsdc.coinBalance, aliceUsdc.addressBalance], ['0', '50'])
  })

  it('pages coin objects to the end, with no next page token on the last page', async () => {
    const alice = sui.ledger.createAddress()
    const bob = sui.ledger.createAddress()
    sui.ledger.mint(alice, SUI_COIN_TYPE, 1_000_000_000_000n)
    for (let i = 1; i <= 7; i++) sui.ledger.transfer({from: alice, to: bob, coinType: SUI_COIN_TYPE, amount: BigInt(i)})
    sui.ledger.mint(bob, USDC, 5n) // another type, must be filtered out
    sui.ledger.produceCheckpoint()
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Awaited<ReturnType<typeof client.core.listCoins>> = await client.core.listCoins({owner: bob, limit: 3, cursor})
      pages += 1
      seen.push(...page.objects.map((o) => o.balance))
      assert.equal(page.hasNextPage, page.cursor !== null)
      cursor = page.cursor
    } while (cursor)
    assert.equal(pages, 3)
    assert.deepEqual(seen.map(BigInt).sort((a, b) => Number(a - b)), [1n, 2n, 3n, 4n, 5n, 6n, 7n])
    const raw = await client.stateService.listOwnedObjects({owner: bob, objectType: `0x2::coin::Coin<${USDC}>`, pageSize: 10})
    assert.equal(raw.response.objects.length, 1)
    assert.equal(raw.response.nextPageToken, undefined)
  })

  it('answers state as of the checkpoint height it reports: a transaction shows once it is sealed', async () => {
    const [alice, bob] = [sui.ledger.createAddress(), sui.ledger.createAddress()]
    sui.ledger.mint(alice, SUI_COIN_TYPE, 5_000_000_000n)
    sui.ledger.mint(alice, USDC, 700n)
    sui.ledger.mint(alice, USDC, 300n, {addressBalance: true})
    const before = sui.ledger.produceCheckpoint()
    // 900 takes the 700 coin and 200 of the address balance; 50 more go to bob's address balance.
    sui.ledger.transfer({from: alice, to: bob, coinType: USDC, amount: 900n})
    sui.ledger.transfer({from: alice, to: bob, coinType: USDC, amount: 50n, toAddressBalance: true})
    assert.deepEqual(sui.ledger.balance(alice, USDC), {coinType: normalizeCoinType(USDC), coinBalance: 0n, addressBalance: 50n}) // executed

    const executed = await stateOf(alice, bob)
    assert.deepEqual(executed.heights, [before, before, before, before])
    assert.deepEqual(executed.alice, {balance: 1000n, coinBalance: 700n, addressBalance: 300n, coins: [700n]})
    assert.deepEqual(executed.bob, [])

    const sealed = sui.ledger.produceCheckpoint()
    const after = await stateOf(alice, bob)
    assert.deepEqual(after.heights, [sealed, sealed, sealed, sealed])
    assert.deepEqual(after.alice, {balance: 50n, coinBalance: 0n, addressBalance: 50n, coins: []})
    assert.deepEqual(after.bob, [{balance: 950n, coinBalance: 900n, addressBalance: 50n}])
  })

  it('with a state lag, answers as of the checkpoint its state has reached, naming it, until the lag is over', async () => {
    const [alice, bob] = [sui.ledger.createAddress(), sui.ledger.createAddress()]
    sui.ledger.mint(alice, SUI_COIN_TYPE, 5_000_000_000n)
    sui.ledger.mint(alice, USDC, 700n)
    const before = sui.ledger.produceCheckpoint()
    sui.ledger.stateLagMs = 400
    sui.ledger.transfer({from: alice, to: bob, coinType: USDC, amount: 200n})
    const sealed = sui.ledger.produceCheckpoint()
    const lagging = await stateOf(alice, bob)
    // The three state replies name the height their state is as of; GetServiceInfo, the chain's tip.
    assert.deepEqual(lagging.heights, [before, before, before, sealed])
    assert.equal(lagging.alice.balance, 700n)
    assert.equal(sui.ledger.checkpointHeight, sealed, 'the checkpoint itself is there at once')
    const deadline = Date.now() + 5_000
    while (sui.ledger.stateHeight < sealed) {
      if (Date.now() > deadline) assert.fail('the state never reached the sealed checkpoint')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const caughtUp = await stateOf(alice, bob)
    assert.deepEqual(caughtUp.heights, [sealed, sealed, sealed, sealed])
    assert.deepEqual([caughtUp.alice.balance, caughtUp.bob[0]?.balance], [500n, 200n])
  })

  it('keeps "balance at height H + balance changes of later checkpoints = balance now" over a traffic run', async () => {
    const watched = [sui.ledger.createAddress('w1'), sui.ledger.createAddress('w2'), sui.ledger.createAddress('w3')]
    for (const owner of watched) {
      sui.ledger.mint(owner, SUI_COIN_TYPE, 1_000_000_000_000n)
      sui.ledger.mint(owner, USDC, 1_000_000n)
      sui.ledger.mint(owner, USDC, 1_000n, {addressBalance: true})
    }
    sui.ledger.produceCheckpoint()
    const random = new Random(17)
    const reads: {owner: string; coinType: string; balance: bigint; height: bigint}[] = []
    for (let round = 0; round < 30; round++) {
      if (random.chance(0.6)) sui.ledger.generateTraffic({checkpoints: random.int(1, 2), txPerCheckpoint: [4, 8], relevantShare: 0.5, relevantAddresses: watched, seed: round})
      // Executed now, sealed with the next checkpoint: reads in between must not see it.
      const [from, to] = [random.pick(watched), random.pick(watched)]
      const coinType = random.pick([SUI_COIN_TYPE, USDC])
      sui.ledger.transfer({from, to, coinType, amount: random.bigint(1n, 5_000n), toAddressBalance: random.chance(0.4)})
      for (const owner of watched) {
        const {headers, response} = await client.stateService.listBalances({owner})
        const height = BigInt(headers['x-sui-checkpoint-height'] as string)
        for (const b of response.balances) reads.push({owner, coinType: b.coinType ?? '', balance: b.balance ?? 0n, height})
      }
    }
    const tip = sui.ledger.produceCheckpoint()
    assert.ok(new Set(reads.map((r) => r.height)).size > 10, 'reads at many heights')
    for (const read of reads) {
      let changed = 0n
      for (let seq = read.height + 1n; seq <= tip; seq++) {
        for (const t of sui.ledger.checkpoint(seq)?.transactions ?? []) {
          for (const c of t.balanceChanges) if (c.address === read.owner && c.coinType === read.coinType) changed += c.amount
        }
      }
      const now = await client.stateService.getBalance({owner: read.owner, coinType: read.coinType})
      assert.equal(now.headers['x-sui-checkpoint-height'], tip.toString())
      assert.equal(read.balance + changed, now.response.balance?.balance, `${read.owner} ${read.coinType} read at ${read.height}`)
    }
  })

  /** GetBalance and the coin objects of alice's USDC, bob's balances, and the height each reply reports. */
  async function stateOf(alice: string, bob: string) {
    const objectType = `0x2::coin::Coin<${USDC}>`
    const [balance, coins, balances] = await Promise.all([
      client.stateService.getBalance({owner: alice, coinType: USDC}),
      client.stateService.listOwnedObjects({owner: alice, objectType, readMask: {paths: ['object_id', 'balance']}}),
      client.stateService.listBalances({owner: bob}),
    ])
    const b = balance.response.balance
    return {
      heights: [balance.headers, coins.headers, balances.headers, (await client.ledgerService.getServiceInfo({})).headers].map((h) => BigInt(h['x-sui-checkpoint-height'] as string)),
      alice: {balance: b?.balance, coinBalance: b?.coinBalance, addressBalance: b?.addressBalance, coins: coins.response.objects.map((o) => o.balance)},
      bob: balances.response.balances.filter((x) => x.coinType === normalizeCoinType(USDC)).map((x) => ({balance: x.balance, coinBalance: x.coinBalance, addressBalance: x.addressBalance})),
    }
  }

  it('with its height switches, names one checkpoint above or below the state a reply answers from', async () => {
    const [alice, bob] = [sui.ledger.createAddress(), sui.ledger.createAddress()]
    sui.ledger.mint(alice, SUI_COIN_TYPE, 5_000_000_000n)
    sui.ledger.produceCheckpoint()
    sui.faults.stateHeights({headerAbove: 1})
    // The state one behind is kept from the first state reply that needs it.
    await client.stateService.getBalance({owner: bob, coinType: SUI_COIN_TYPE})
    const heights: bigint[] = []
    for (let i = 1n; i <= 3n; i++) {
      sui.ledger.transfer({from: alice, to: bob, coinType: SUI_COIN_TYPE, amount: i})
      heights.push(sui.ledger.produceCheckpoint())
    }
    const read = async (call: 'getBalance' | 'listBalances') => {
      const {headers, response} = call === 'getBalance'
        ? await client.stateService.getBalance({owner: bob, coinType: SUI_COIN_TYPE})
        : await client.stateService.listBalances({owner: bob})
      const balance = 'balances' in response ? response.balances[0] : response.balance
      return [BigInt(headers['x-sui-checkpoint-height'] as string), balance?.balance ?? 0n]
    }
    // Header 3 transfers in (1 + 2 + 3), state as of the checkpoint before (1 + 2).
    assert.deepEqual(await read('getBalance'), [heights[2], 3n])
    assert.deepEqual(await read('listBalances'), [heights[2], 3n])
    sui.faults.stateHeights({headerBelow: 1})
    assert.deepEqual(await read('getBalance'), [heights[1], 6n])
    sui.faults.stateHeights({headerAbove: 0.5, headerBelow: 0.5})
    const seen = new Set<string>()
    for (let i = 0; i < 40; i++) seen.add(String(await read('getBalance')))
    assert.deepEqual([...seen].sort(), [String([heights[1], 6n]), String([heights[2], 3n])])
    // GetServiceInfo is not a state reply: its height is the node's.
    const info = await client.ledgerService.getServiceInfo({})
    assert.equal(info.headers['x-sui-checkpoint-height'], String(heights[2]))
    sui.faults.stateHeights({})
    assert.deepEqual(await read('getBalance'), [heights[2], 6n])
  })
})
