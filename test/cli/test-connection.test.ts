import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {jsonOf, runCli} from '../support/cli.ts'
import {startSuiServer, type SuiTestServer} from '../support/sui-server/index.ts'

const TOKEN = 'tc-token-9d8c7b6a5f4e'
const MAINNET_CHAIN_ID = '35834a8a'

describe('confio test-connection', function () {
  this.timeout(60_000)
  let sui: SuiTestServer
  let alice: string
  const env = () => ({SUI_GRPC_URL: sui.url, SUI_NETWORK: 'mainnet', SUI_GRPC_TOKEN: TOKEN, SUI_GRPC_DEADLINE_MS: '2000'})

  before(async () => {
    sui = await startSuiServer({chainId: MAINNET_CHAIN_ID, chain: 'mainnet', requireToken: TOKEN})
    alice = sui.ledger.createAddress()
    sui.ledger.mint(alice, '0x2::sui::SUI', 2_500_000_000n)
    sui.ledger.mint(alice, '0x2::sui::SUI', 500_000_000n, {addressBalance: true})
    sui.ledger.produceCheckpoint()
    sui.ledger.startProducing(10)
  })

  after(async () => sui.close())

  it('reports the endpoint, chain, height, latency, streaming and balances', async () => {
    const result = await runCli(['test-connection', '--address', alice, '--count', '3'], {env: env()})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, new RegExp(`^Endpoint: +${sui.url.replaceAll('.', '\\.')}$`, 'm'))
    assert.match(result.stdout, /^Chain: +35834a8a \(mainnet; configured: mainnet\)$/m)
    assert.match(result.stdout, /^Checkpoint: +\d+ \(\d+\.\d s old\), lowest available 0$/m)
    assert.match(result.stdout, /^Latency: +min [\d.]+ ms, p50 [\d.]+ ms, p99 [\d.]+ ms over 3 calls$/m)
    assert.match(result.stdout, /^Streaming: +works, first frame \(checkpoint \d+\) after \d+ ms$/m)
    assert.match(result.stdout, /^SUI +3 +2\.5 +0\.5 +1$/m)
    assert.ok(!result.stdout.includes(TOKEN) && !result.stderr.includes(TOKEN))
  })

  it('gives the same as JSON, amounts as strings', async () => {
    const result = await runCli(['test-connection', '--address', alice, '--count', '2', '--json'], {env: env()})
    assert.equal(result.code, 0, result.stderr)
    const json = jsonOf<{chainNetwork: string; checkpointHeight: string; latency: {samples: number}; streaming: {ok: boolean}; balances: {tokens: {symbol: string; total: string; addressBalance: string; coinObjects: number}[]}}>(result)
    assert.equal(json.chainNetwork, 'mainnet')
    assert.match(json.checkpointHeight, /^\d+$/)
    assert.equal(json.latency.samples, 2)
    assert.equal(json.streaming.ok, true)
    const sui = json.balances.tokens.find((t) => t.symbol === 'SUI')
    assert.deepEqual({total: sui?.total, addressBalance: sui?.addressBalance, coinObjects: sui?.coinObjects}, {total: '3000000000', addressBalance: '500000000', coinObjects: 1})
  })

  it('refuses a malformed --address with exit code 2', async () => {
    const result = await runCli(['test-connection', '--address', 'nope'], {env: env()})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^Error: --address "nope" is not a Sui address/)
  })

  describe('fails with exit code 1 and one line saying what to check', () => {
    let web: Server
    let webPort: number
    before(async () => {
      web = createServer((_req, res) => res.writeHead(200, {'content-type': 'text/html'}).end('<html>hello</html>'))
      await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve))
      webPort = (web.address() as AddressInfo).port
    })
    after(() => web.close())

    const cases: [string, () => Record<string, string>, RegExp, string][] = [
      ['when nothing listens', () => ({...env(), SUI_GRPC_URL: 'http://127.0.0.1:1'}), /^Error: cannot reach http:\/\/127\.0\.0\.1:1 .*check the host and port/, 'CONNECTION_CANNOT_CONNECT'],
      ['when the token is rejected', () => ({...env(), SUI_GRPC_TOKEN: 'wrong-token-123456'}), /^Error: .* rejected the credentials \(UNAUTHENTICATED\): check the token/, 'CONNECTION_REJECTED_TOKEN'],
      ['when the node is on another network', () => ({...env(), SUI_NETWORK: 'testnet'}), /^Error: .* serves chain 35834a8a \(mainnet\), but confio is configured for testnet/, 'CONNECTION_WRONG_NETWORK'],
      ['when the endpoint does not speak gRPC', () => ({...env(), SUI_GRPC_URL: `http://127.0.0.1:${webPort}`}), /^Error: .* does not answer as a Sui gRPC node/, 'CONNECTION_NOT_GRPC'],
    ]
    for (const [what, envOf, pattern, code] of cases) {
      it(what, async () => {
        const text = await runCli(['test-connection', '--count', '1'], {env: envOf()})
        assert.equal(text.code, 1, text.stderr)
        const lines = text.stderr.split('\n').filter((l) => l && !l.startsWith('{'))
        assert.equal(lines.length, 1, text.stderr)
        assert.match(lines[0] as string, pattern)
        const json = await runCli(['test-connection', '--count', '1', '--json'], {env: envOf()})
        assert.equal(json.code, 1)
        assert.equal(jsonOf<{error: {code: string}}>(json).error.code, code)
      })
    }
  })
})
