import assert from 'node:assert/strict'
import {type SuiGrpcClient} from '@mysten/sui/grpc'
import {type SuiTestServer, startSuiServer} from '../support/sui-server/index.ts'
import {SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
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
})
