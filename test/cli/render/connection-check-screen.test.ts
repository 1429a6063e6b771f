// confio test-connection's screen: each token's balances in display units by the coin type the node
// answered for; a coin type not registered in the chain's decimals (GetCoinInfo), or in base units,
// labelled so, when the chain cannot say.
import assert from 'node:assert/strict'
import {renderConnectionCheck} from '../../../cli/render/connection-check-screen.ts'
import type {ConnectionCheckResult, GrpcChainReader, TokenBalanceCheck} from '../../../src/chain/index.ts'
import {normalizeCoinType, SUI_COIN_TYPE} from '../../../src/sui/identifiers.ts'
import {AmountFormatter} from '../../../src/tokens/amount-formatter.ts'
import {TokenRegistry} from '../../../src/tokens/token-registry.ts'
import {testReader} from '../../chain/chain-test-support.ts'
import {startSuiServer, type SuiTestServer} from '../../../sui-server/index.ts'

const PKG = '0x' + 'b2'.repeat(32)
const WETH = normalizeCoinType(`${PKG}::weth::WETH`)
const BARE = normalizeCoinType(`${PKG}::bare::BARE`)

function checkWith(tokens: TokenBalanceCheck[]): ConnectionCheckResult {
  return {
    endpoint: 'http://127.0.0.1:9123',
    configuredNetwork: 'localnet',
    chainId: 'b2b2b2b2',
    chainName: 'localnet',
    chainNetwork: undefined,
    chain: 'localnet',
    checkpointHeight: 12n,
    checkpointAgeMs: 1_500,
    lowestAvailableCheckpoint: 0n,
    serverVersion: 'sui-test-server',
    latency: {samples: 3, minMs: 1, p50Ms: 2, p99Ms: 3},
    streaming: {ok: true, checkpoint: 12n, firstFrameMs: 40},
    transactionListing: 'supported',
    balances: {address: '0xa11ce', tokens},
  }
}

const balance = (symbol: string, coinType: string, total: bigint): TokenBalanceCheck => ({symbol, coinType, total, coinBalance: total, addressBalance: 0n, coinObjects: 1})

describe("confio test-connection's screen", () => {
  let server: SuiTestServer
  let chain: GrpcChainReader

  before(async () => {
    server = await startSuiServer({chainId: 'b2b2b2b2', chain: 'localnet'})
    server.ledger.registerCoin(WETH, {decimals: 8, name: 'Wrapped Ether', symbol: 'WETH'})
    chain = testReader(server.url, {maxAttempts: 1})
  })
  after(async () => {
    chain.close()
    await server.close()
  })

  it("a token not registered: in the decimals the chain gives it, or in base units when the chain has none", async () => {
    const amounts = new AmountFormatter(new TokenRegistry([{symbol: 'SUI', coinType: SUI_COIN_TYPE, decimals: 9}]), (coinType) => chain.coinInfo(coinType))
    const result = checkWith([balance('SUI', SUI_COIN_TYPE, 3_000_000_000n), balance('WETH', WETH, 150_000_000n), balance('BARE', BARE, 42n)])
    await amounts.learn(result.balances!.tokens.map((t) => t.coinType))
    const screen = renderConnectionCheck(result, amounts)
    assert.match(screen, /^Backfill: +ListTransactions is served/m)
    assert.match(screen, /\n\nBalances of 0xa11ce:\nTOKEN +TOTAL +IN COINS +ADDRESS BALANCE +COIN OBJECTS\n/)
    assert.match(screen, /^SUI +3 +3 +0 +1$/m)
    assert.match(screen, /^WETH +1\.5 +1\.5 +0 +1$/m)
    assert.match(screen, /^BARE +42 \(base units\) +42 \(base units\) +0 \(base units\) +1$/m)
  })
})
