// confio test-connection's core against the local Sui server, and each way it can fail.
import assert from 'node:assert/strict'
import http from 'node:http'
import http2 from 'node:http2'
import net from 'node:net'
import type {AddressInfo} from 'node:net'

import {
  CannotConnectError,
  NotGrpcError,
  RejectedTokenError,
  TlsError,
  WrongNetworkError,
  checkConnection,
} from '../../src/chain/reader/connection-check.ts'
import {readableDetails} from '../../src/chain/transport/failure-details.ts'
import {chainName} from '../../src/chain/reader/known-chains.ts'
import {SUI_COIN_TYPE, normalizeCoinType} from '../../src/sui/identifiers.ts'
import {startSuiServer} from '../../sui-server/index.ts'
import type {SuiTestServer} from '../../sui-server/index.ts'
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
    const chain = testReader(server.url.replace('127.0.0.1', 'localhost'), {network: 'testnet', token: TOKEN, maxAttempts: 1})
    const producer = setInterval(() => ledger.produceCheckpoint(), 25)
    try {
      const result = await checkConnection(chain, {count: 7, address: owner, tokens: TOKENS})
      assert.equal(result.endpoint, `http://localhost:${server.port}`)
      assert.equal(result.chainId, '4c78adac')
      assert.equal(result.chainName, 'testnet')
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
      assert.equal(result.transactionListing, 'supported')
      assert.equal(result.transactionListingError, undefined)
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
    assert.equal(error.message, `${server.url} rejected the credentials (UNAUTHENTICATED)`)
    assert.equal(error.message.includes(wrong), false)
    assert.equal(error.message.includes('\n'), false)
  })

  it('the wrong network', async () => {
    const chain = testReader(server.url, {network: 'mainnet', token: TOKEN})
    const error = await checkConnection(chain, {count: 1, tokens: []}).catch((e: unknown) => e)
    chain.close()
    assert.ok(error instanceof WrongNetworkError)
    assert.equal(error.kind, 'wrong-network')
    assert.deepEqual([error.chainId, error.chainName, error.actual, error.configured], ['4c78adac', 'testnet', 'testnet', 'mainnet'])
    assert.equal(error.message, `${server.url} serves chain 4c78adac (testnet), but confio is configured for mainnet`)
  })

  it('names a chain the same way in the result and in the wrong-network error', async () => {
    const local = await startSuiServer({chain: 'localnet'})
    try {
      const ok = testReader(local.url, {network: 'localnet', maxAttempts: 1})
      const result = await checkConnection(ok, {count: 1, tokens: [], streamTimeoutMs: 50})
      ok.close()
      assert.match(result.chainId, /^[0-9a-f]{8}$/)
      assert.equal(result.chainName, 'localnet')
      assert.equal(result.chainNetwork, undefined)
      const wrong = testReader(local.url, {network: 'mainnet', maxAttempts: 1})
      const error = await checkConnection(wrong, {count: 1, tokens: []}).catch((e: unknown) => e)
      wrong.close()
      assert.ok(error instanceof WrongNetworkError)
      assert.equal(error.message, `${local.url} serves chain ${result.chainId} (localnet), but confio is configured for mainnet`)
    } finally {
      await local.close()
    }
  })

  it('reports an endpoint without ListTransactions (backfill scans checkpoints) without failing the check', async () => {
    const old = await startSuiServer({listTransactions: false})
    const chain = testReader(old.url, {maxAttempts: 1})
    try {
      const result = await checkConnection(chain, {count: 1, tokens: [], streamTimeoutMs: 50})
      assert.equal(result.transactionListing, 'unimplemented')
      assert.equal(result.transactionListingError, undefined)
    } finally {
      chain.close()
      await old.close()
    }
  })

  it('reports a transaction-listing probe that fails otherwise as unknown, with the reason', async () => {
    const local = await startSuiServer()
    local.faults.failRate('ListTransactions', 'UNAVAILABLE', 1)
    const chain = testReader(local.url, {maxAttempts: 1})
    try {
      const result = await checkConnection(chain, {count: 1, tokens: [], streamTimeoutMs: 50})
      assert.equal(result.transactionListing, 'unknown')
      assert.match(result.transactionListingError ?? '', /^ListTransactions failed with UNAVAILABLE/)
    } finally {
      chain.close()
      await local.close()
    }
  })

  it('chainName: the id vouches for mainnet and testnet, the node names the rest', () => {
    assert.equal(chainName('35834a8a', 'mainnet'), 'mainnet')
    assert.equal(chainName('4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S', 'unknown'), 'mainnet')
    assert.equal(chainName('deadbeef', 'localnet'), 'localnet')
    assert.equal(chainName('deadbeef', 'unknown'), 'not mainnet or testnet')
    assert.equal(chainName('deadbeef', ''), 'not mainnet or testnet')
    assert.equal(chainName('deadbeef', 'mainnet'), 'not mainnet or testnet')
  })

  it('localnet and devnet accept any chain', async () => {
    for (const network of ['localnet', 'devnet'] as const) {
      const chain = testReader(server.url, {network, token: TOKEN})
      const result = await checkConnection(chain, {count: 1, tokens: [], streamTimeoutMs: 50})
      chain.close()
      assert.equal(result.chainNetwork, 'testnet')
    }
  })

  it('cannot connect: at once, in readable words', async () => {
    const logs: string[] = []
    const chain = testReader('http://127.0.0.1:1', {maxAttempts: 1}, logs)
    const error = await checkConnection(chain, {count: 1, tokens: []}).catch((e: unknown) => e)
    chain.close()
    assert.ok(error instanceof CannotConnectError)
    assert.equal(error.kind, 'cannot-connect')
    assert.equal(error.message, 'cannot reach http://127.0.0.1:1 (UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:1)')
    assert.deepEqual(logs, [])
  })

  it('cannot connect over grpc-web, whose error hides the cause: the TCP probe names it', async () => {
    const chain = testReader('http://127.0.0.1:1', {maxAttempts: 1, transport: 'grpc-web'})
    const error = await checkConnection(chain, {count: 1, tokens: []}).catch((e: unknown) => e)
    chain.close()
    assert.ok(error instanceof CannotConnectError, String(error))
    assert.match(error.message, /^cannot reach http:\/\/127\.0\.0\.1:1 \(\w+: connect ECONNREFUSED 127\.0\.0\.1:1\)$/)
  })

  it('a port that accepts TCP but speaks another protocol is not gRPC, over both transports', async () => {
    // Like PostgreSQL: reads the HTTP/2 preface as a startup packet, answers with an error, hangs up.
    const other = net.createServer((socket) => socket.once('data', () => socket.end('E\0\0\0\x08invalid\0')))
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
    try {
      for (const transport of ['grpc', 'grpc-web'] as const) {
        const chain = testReader(url, {transport, maxAttempts: 1})
        const error = await checkConnection(chain, {count: 1, tokens: []}).catch((e: unknown) => e)
        chain.close()
        assert.ok(error instanceof NotGrpcError, `${transport}: ${String(error)}`)
        assert.match(error.message, /does not answer as a Sui gRPC node/)
      }
    } finally {
      other.close()
    }
  })

  it('https:// to a plaintext node: a TLS failure, and no DEP0123 warning for the IP address', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error & {code?: string}): void => void warnings.push(`${warning.code}: ${warning.message}`)
    process.on('warning', onWarning)
    try {
      const chain = testReader(server.url.replace('http:', 'https:'), {maxAttempts: 1, token: TOKEN})
      const error = await checkConnection(chain, {count: 1, tokens: []}).catch((e: unknown) => e)
      chain.close()
      assert.ok(error instanceof TlsError, String(error))
      assert.equal(error.kind, 'tls')
      assert.equal(error.certificate, false)
      assert.match(error.message, /^the TLS handshake with https:\/\/127\.0\.0\.1:\d+ failed \(UNAVAILABLE: [^:]+\)$/)
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepEqual(warnings.filter((w) => w.startsWith('DEP0123')), [])
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('readableDetails keeps the cause and drops grpc-js and OpenSSL wrapping', () => {
    const cases: [string, string][] = [
      ['No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ', 'connect ECONNREFUSED 127.0.0.1:1'],
      ['No connection established. Last error: Failed to connect (2026-11-29T18:20:46.908Z). Resolution note: ', 'Failed to connect'],
      ['No connection established. Last error: Protocol error (2026-11-29T18:20:46.930Z). Resolution note: ', 'Protocol error'],
      [
        'No connection established. Last error: Error: 40BD49A8D57F0000:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/openssl/openssl/ssl/record/methods/tlsany_meth.c:77:\n. Resolution note: ',
        'wrong version number',
      ],
      [
        'No connection established. Last error: Error: self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca. Resolution note: ',
        'self-signed certificate',
      ],
      ["No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list: . Resolution note: ", "Hostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list:"],
      ['Name resolution failed for target dns:no-such-host.invalid:9000', 'Name resolution failed for target dns:no-such-host.invalid:9000'],
      ['no answer within 2000 ms', 'no answer within 2000 ms'],
      ['', ''],
    ]
    for (const [raw, readable] of cases) assert.equal(readableDetails(raw), readable)
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
