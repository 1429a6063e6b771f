// confio test-connection's core against the local Sui server, and each way it can fail.
import assert from 'node:assert/strict'
import http from 'node:http'
import http2 from 'node:http2'
import type {AddressInfo} from 'node:net'

import {
  CannotConnectError,
  NotGrpcError,
  RejectedTokenError,
  WrongNetworkError,
  checkConnection,
} from '../../src/chain/connection-check.ts'
import {SUI_COIN_TYPE, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {startSuiServer} from '../support/sui-server/index.ts'
import type {SuiTestServer} from '../support/sui-server/index.ts'
import {testReader} from './chain-test-support.ts'

const USDC = normalizeCoinType('0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC')
const TOKEN = 'qn-live-token-31415926'
const TOKENS = [{symbol: 'SUI', coinType: '0x2::sui::SUI'}, {symbol: 'USDC', coinType: USDC}]

describe('connection check', () => {
  let server: SuiTestServer

  before(async () => {
    server = await startSuiServer({chainId: '4c78adac', chain: 'testnet', requireToken: TOKEN})
  })
  after(async () => {
    await server.close()
  })

  it('reports chain, heights, latency, streaming and balances', async () => {
    const {ledger} = server
    const owner = ledger.createAddress('ops')
    ledger.mint(owner, USDC, 40n)
    ledger.mint(owner, USDC, 2n)
    ledger.mint(owner, USDC, 100n, {addressBalance: true})
    ledger.mint(owner, SUI_COIN_TYPE, 9n)
    ledger.produceCheckpoint()
    const chain = testReader(server.url.replace('127.0.0.1', 'localhost'), {network: 'testnet', token: TOKEN})
    const producer = setInterval(() => ledger.produceCheckpoint(), 25)
    try {
      const result = await checkConnection(chain, {count: 7, address: owner, tokens: TOKENS})
      assert.equal(result.endpoint, `http://localhost:${server.port}`)
      assert.equal(result.chainId, '4c78adac')
      assert.equal(result.chainNetwork, 'testnet')
      assert.equal(result.configuredNetwork, 'testnet')
      assert.ok(result.checkpointHeight >= 1n)
      assert.ok(result.checkpointAgeMs >= 0 && result.checkpointAgeMs < 60_000)
      assert.equal(result.lowestAvailableCheckpoint, 0n)
      assert.ok(result.serverVersion)
      assert.equal(result.latency.samples, 7)
      assert.ok(result.latency.minMs > 0 && result.latency.minMs <= result.latency.p50Ms && result.latency.p50Ms <= result.latency.p99Ms)
      assert.equal(result.streaming.ok, true)
      assert.ok(result.streaming.ok && result.streaming.firstFrameMs < 5_000)
      assert.deepEqual(result.balances?.tokens, [
        {symbol: 'SUI', coinType: SUI_COIN_TYPE, total: 9n, coinBalance: 9n, addressBalance: 0n, coinObjects: 1},
        {symbol: 'USDC', coinType: USDC, total: 142n, coinBalance: 42n, addressBalance: 100n, coinObjects: 2},
      ])
      assert.equal(server.faults.calls('GetServiceInfo'), 8)
    } finally {
      clearInterval(producer)
      chain.close()
    }
  })

  it('reports a stream that never sends a frame without failing the check', async () => {
    const chain = testReader(server.url, {network: 'testnet', token: TOKEN})
    try {
      const result = await checkConnection(chain, {count: 1, tokens: [], streamTimeoutMs: 150})
      assert.equal(result.streaming.ok, false)
      assert.match(result.streaming.ok ? '' : result.streaming.error, /DEADLINE_EXCEEDED/)
      assert.equal(result.balances, undefined)
    } finally {
      chain.close()
    }
  })

  it('a rejected token, without showing it', async () => {
    const wrong = 'qn-live-token-WRONG-2718'
    const chain = testReader(server.url, {network: 'testnet', token: wrong})
    const error = await checkConnection(chain, {count: 1, tokens: []}).catch((e: unknown) => e)
    chain.close()
    assert.ok(error instanceof RejectedTokenError)
    assert.equal(error.kind, 'rejected-token')
    assert.equal(error.status, 'UNAUTHENTICATED')
    assert.match(error.message, /rejected the credentials.*check the token/)
    assert.equal(error.message.includes(wrong), false)
    assert.equal(error.message.includes('\n'), false)
  })

  it('the wrong network', async () => {
    const chain = testReader(server.url, {network: 'mainnet', token: TOKEN})
    const error = await checkConnection(chain, {count: 1, tokens: []}).catch((e: unknown) => e)
    chain.close()
    assert.ok(error instanceof WrongNetworkError)
    assert.equal(error.kind, 'wrong-network')
    assert.match(error.message, /serves chain 4c78adac \(testnet\), but confio is configured for mainnet/)
  })

  it('localnet and devnet accept any chain', async () => {
    for (const network of ['localnet', 'devnet'] as const) {
      const chain = testReader(server.url, {network, token: TOKEN})
      const result = await checkConnection(chain, {count: 1, tokens: [], streamTimeoutMs: 50})
      chain.close()
      assert.equal(result.chainNetwork, 'testnet')
    }
  })

  it('cannot connect', async () => {
    const chain = testReader('http://127.0.0.1:1', {maxAttempts: 2})
    const error = await checkConnection(chain, {count: 1, tokens: []}).catch((e: unknown) => e)
    chain.close()
    assert.ok(error instanceof CannotConnectError)
    assert.equal(error.kind, 'cannot-connect')
    assert.match(error.message, /^cannot reach http:\/\/127\.0\.0\.1:1 \(UNAVAILABLE.*check the host and port/)
  })

  it('an endpoint that does not speak gRPC: HTTP/1.1, HTTP/2 JSON, and grpc-web to a web server', async () => {
    const h1 = http.createServer((_, res) => {
      res.writeHead(404, {'content-type': 'text/html'})
      res.end('<html>not here</html>')
    })
    const h2 = http2.createServer((_, res) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.end('{"jsonrpc":"2.0","result":"this is JSON-RPC"}')
    })
    await Promise.all([h1, h2].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))))
    const url = (s: http.Server | http2.Http2Server): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}`
    try {
      for (const [target, transport] of [[url(h1), 'grpc'], [url(h2), 'grpc'], [url(h1), 'grpc-web']] as const) {
        const chain = testReader(target, {transport, maxAttempts: 3})
        const error = await checkConnection(chain, {count: 1, tokens: []}).catch((e: unknown) => e)
        chain.close()
        assert.ok(error instanceof NotGrpcError, `${transport} to ${target}: ${String(error)}`)
        assert.equal(error.kind, 'not-grpc')
        assert.match(error.message, /does not answer as a Sui gRPC node/)
      }
    } finally {
      h1.close()
      h2.close()
    }
  })
})
