// The one amount formatter: registered tokens in display units, an unregistered coin type in the
// decimals the chain gives (asked once), and what neither can say in base units, labelled so.
import assert from 'node:assert/strict'
import type {GrpcChainReader} from '../../src/chain/index.ts'
import {normalizeCoinType, SUI_COIN_TYPE} from '../../src/sui/identifiers.ts'
import {AmountFormatter} from '../../src/tokens/amount-formatter.ts'
import {formatSui, formatTokenAmount} from '../../src/tokens/amounts.ts'
import {TokenRegistry} from '../../src/tokens/token-registry.ts'
import {testReader} from '../chain/chain-test-support.ts'
import {startSuiServer, type SuiTestServer} from '../../sui-server/index.ts'

const PKG = '0x' + 'a1'.repeat(32)
const CUSD = normalizeCoinType(`${PKG}::cusd::CUSD`)
const WETH = normalizeCoinType(`${PKG}::weth::WETH`)
const NO_METADATA = normalizeCoinType(`${PKG}::bare::BARE`)
const tokens = new TokenRegistry([
  {symbol: 'CUSD', coinType: CUSD, decimals: 6},
  {symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9},
])

describe('AmountFormatter', () => {
  let server: SuiTestServer
  let chain: GrpcChainReader

  before(async () => {
    server = await startSuiServer({chainId: 'a1a1a1a1', chain: 'localnet'})
    server.ledger.registerCoin(WETH, {decimals: 8, name: 'Wrapped Ether', symbol: 'WETH'})
  })
  after(async () => server.close())
  beforeEach(() => {
    server.faults.reset()
    chain = testReader(server.url, {maxAttempts: 1})
  })
  afterEach(() => chain.close())

  const formatter = () => new AmountFormatter(tokens, (coinType) => chain.coinInfo(coinType))

  it('a registered token, by symbol or coin type, in its display units, without asking the chain', async () => {
    const amounts = formatter()
    await amounts.learn(['CUSD', CUSD, '0x2::sui::SUI'])
    assert.equal(amounts.format(12_500_000n, 'CUSD'), '12.5')
    assert.equal(amounts.format(12_500_000n, 'cusd'), '12.5')
    assert.equal(amounts.format(-2_500_000n, CUSD), '-2.5')
    assert.equal(amounts.format(1_500_000_000n, '0x2::sui::SUI'), '1.5')
    assert.equal(server.faults.calls('GetCoinInfo'), 0)
  })

  it('a symbol no longer registered: base units, labelled so (the chain knows coin types, not symbols)', async () => {
    const amounts = formatter()
    await amounts.learn(['USDT'])
    assert.equal(amounts.format(12_500_000n, 'USDT'), '12500000 (base units)')
    assert.equal(server.faults.calls('GetCoinInfo'), 0)
  })

  it('a coin type not registered: the decimals the chain gives, asked once', async () => {
    const amounts = formatter()
    assert.equal(amounts.format(150_000_000n, WETH), '150000000 (base units)', 'not learned yet')
    await amounts.learn([WETH, WETH])
    await amounts.learn([WETH])
    assert.equal(amounts.format(150_000_000n, WETH), '1.5')
    assert.equal(server.faults.calls('GetCoinInfo'), 1)
  })

  it('a coin type the chain does not know (NOT_FOUND): base units, and not asked again', async () => {
    const amounts = formatter()
    await amounts.learn([NO_METADATA])
    await amounts.learn([NO_METADATA])
    assert.equal(amounts.format(42n, NO_METADATA), '42 (base units)')
    assert.equal(server.faults.calls('GetCoinInfo'), 1)
  })

  it('a chain that does not answer: base units this time, asked again next time', async () => {
    const amounts = formatter()
    server.faults.method('GetCoinInfo', {unavailable: 1})
    await amounts.learn([WETH])
    assert.equal(amounts.format(150_000_000n, WETH), '150000000 (base units)')
    server.faults.method('GetCoinInfo', {unavailable: 0})
    await amounts.learn([WETH])
    assert.equal(amounts.format(150_000_000n, WETH), '1.5')
    assert.equal(server.faults.calls('GetCoinInfo'), 2)
  })

  it('without a chain: an unregistered coin type in base units', async () => {
    const amounts = new AmountFormatter(tokens)
    await amounts.learn([WETH])
    assert.equal(amounts.format(150_000_000n, WETH), '150000000 (base units)')
  })

  it('with the symbol: formatTokenAmount and formatSui', () => {
    assert.equal(formatTokenAmount(1_500_000n, {symbol: 'CUSD', decimals: 6}), '1.5 CUSD')
    assert.equal(formatSui(1_500_000n), '0.0015 SUI')
    assert.equal(formatSui(-2_000_000_000n), '-2 SUI')
  })
})
