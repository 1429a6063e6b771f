import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {fileURLToPath} from 'node:url'
import {jsonOf, runCli} from '../support/cli.ts'
import {startSuiServer, type SuiTestServer} from '../../sui-server/index.ts'

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
    assert.match(result.stdout, /^Backfill: +ListTransactions is served: confio backfill reads account history with it$/m)
    assert.match(result.stdout, /^SUI +3 +2\.5 +0\.5 +1$/m)
    assert.equal(sui.faults.calls('GetCoinInfo'), 0, 'a registered token needs no GetCoinInfo')
    assert.ok(!result.stdout.includes(TOKEN) && !result.stderr.includes(TOKEN))
  })

  it('gives the same as JSON, amounts as strings', async () => {
    const result = await runCli(['test-connection', '--address', alice, '--count', '2', '--json'], {env: env()})
    assert.equal(result.code, 0, result.stderr)
    const json = jsonOf<{chainId: string; chainName: string; chainNetwork: string; checkpointHeight: string; latency: {samples: number}; streaming: {ok: boolean}; transactionListing: string; balances: {tokens: {symbol: string; total: string; addressBalance: string; coinObjects: number}[]}}>(result)
    assert.deepEqual([json.chainId, json.chainName, json.chainNetwork], [MAINNET_CHAIN_ID, 'mainnet', 'mainnet'])
    assert.match(json.checkpointHeight, /^\d+$/)
    assert.equal(json.latency.samples, 2)
    assert.equal(json.streaming.ok, true)
    assert.equal(json.transactionListing, 'supported')
    const sui = json.balances.tokens.find((t) => t.symbol === 'SUI')
    assert.deepEqual({total: sui?.total, addressBalance: sui?.addressBalance, coinObjects: sui?.coinObjects}, {total: '3000000000', addressBalance: '500000000', coinObjects: 1})
  })

  it('says when backfill will scan checkpoints because the endpoint does not serve ListTransactions', async () => {
    const old = await startSuiServer({chainId: MAINNET_CHAIN_ID, chain: 'mainnet', listTransactions: false})
    try {
      const oldEnv = {...env(), SUI_GRPC_URL: old.url, SUI_GRPC_TOKEN: undefined}
      const text = await runCli(['test-connection', '--count', '1', '--stream-timeout', '100ms'], {env: oldEnv})
      assert.equal(text.code, 0, text.stderr)
      assert.match(text.stdout, /^Backfill: +ListTransactions is not served \(UNIMPLEMENTED\): confio backfill will scan checkpoints$/m)
    } finally {
      await old.close()
    }
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

    // The test run's own PostgreSQL: a real server that accepts TCP and speaks no HTTP/2.
    const postgres = (): string => {
      const url = new URL(process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432')
      return `http://${url.hostname}:${url.port || '5432'}`
    }

    const cases: [string, () => Record<string, string>, RegExp, string][] = [
      ['when nothing listens', () => ({...env(), SUI_GRPC_URL: 'http://127.0.0.1:1'}), /^Error: cannot reach http:\/\/127\.0\.0\.1:1 \(UNAVAILABLE: connect ECONNREFUSED 127\.0\.0\.1:1\); check the host and port/, 'CONNECTION_CANNOT_CONNECT'],
      ['when the token is rejected', () => ({...env(), SUI_GRPC_TOKEN: 'wrong-token-123456'}), /^Error: .* rejected the credentials \(UNAUTHENTICATED\); check SUI_GRPC_TOKEN/, 'CONNECTION_REJECTED_TOKEN'],
      ['when the node is on another network', () => ({...env(), SUI_NETWORK: 'testnet'}), /^Error: .* serves chain 35834a8a \(mainnet\), but confio is configured for testnet; set SUI_NETWORK=mainnet/, 'CONNECTION_WRONG_NETWORK'],
      ['when the endpoint is an HTTP server', () => ({...env(), SUI_GRPC_URL: `http://127.0.0.1:${webPort}`}), /^Error: .* does not answer as a Sui gRPC node/, 'CONNECTION_NOT_GRPC'],
      ['when the endpoint is PostgreSQL', () => ({...env(), SUI_GRPC_URL: postgres()}), /^Error: http:\/\/[\d.]+:\d+ does not answer as a Sui gRPC node \(UNAVAILABLE: .*\); check that SUI_GRPC_URL is the node's gRPC endpoint/, 'CONNECTION_NOT_GRPC'],
      ['when https:// meets a plaintext node', () => ({...env(), SUI_GRPC_URL: sui.url.replace('http:', 'https:')}), /^Error: the TLS handshake with https:\/\/127\.0\.0\.1:\d+ failed \(UNAVAILABLE: .*\); nothing speaks TLS on that port: use http:\/\//, 'CONNECTION_TLS'],
    ]
    for (const [what, envOf, pattern, code] of cases) {
      it(what, async () => {
        const text = await runCli(['test-connection', '--count', '1'], {env: envOf()})
        assert.equal(text.code, 1, text.stderr)
        // The line alone: no retry notices, no Node warnings (DEP0123 for TLS to an IP address).
        const lines = text.stderr.split('\n').filter(Boolean)
        assert.equal(lines.length, 1, text.stderr)
        assert.match(lines[0] as string, pattern)
        assert.doesNotMatch(text.stderr, /retrying|Resolution note|DeprecationWarning|Last error/)
        assert.equal(text.stdout, '')

        const json = await runCli(['test-connection', '--count', '1', '--json'], {env: envOf()})
        assert.equal(json.code, 1, json.stderr)
        assert.equal(json.stderr, '')
        const {error} = jsonOf<{error: {code: string; message: string; remedy: string; exitCode: number}}>(json)
        assert.deepEqual(Object.keys(error).sort(), ['code', 'exitCode', 'message', 'remedy'])
        assert.equal(error.code, code)
        assert.equal(error.exitCode, 1)
        assert.ok(error.remedy.length > 10, error.remedy)
        // The text line is the message and the remedy; the JSON keeps them apart.
        assert.equal(`Error: ${error.message}; ${error.remedy}`, lines[0])
        assert.ok(!error.message.includes(error.remedy), error.message)
      })
    }
  })

  it('succeeds with the settings `npm run sui-server` prints', async function () {
    this.timeout(60_000)
    const main = fileURLToPath(new URL('../../sui-server/main.ts', import.meta.url))
    const server = spawn(process.execPath, [main, '--port', '0'], {stdio: ['ignore', 'pipe', 'pipe']})
    const exited = new Promise<void>((resolve) => server.on('close', () => resolve()))
    try {
      let printed = ''
      server.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()))
      server.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()))
      const started = Date.now()
      while (!/^\s*export .*\n/m.test(printed)) {
        if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}):\n${printed}`)
        if (Date.now() - started > 20_000) throw new Error(`no export line within 20 s:\n${printed}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const exported = Object.fromEntries(
        [...(/^\s*export (.*)$/m.exec(printed)?.[1] ?? '').matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1] as string, m[2] as string]),
      )
      assert.deepEqual(Object.keys(exported).sort(), ['SUI_GRPC_URL', 'SUI_NETWORK'], printed)
      const chainId = /chain ([0-9a-f]{8}) \(localnet\)/.exec(printed)?.[1]
      assert.ok(chainId, printed)
      // Only what it printed: none of the suite's own chain settings.
      const result = await runCli(['test-connection', '--count', '2'], {
        env: {SUI_GRPC_TOKEN: undefined, SUI_GRPC_HEADERS: undefined, SUI_GRPC_TRANSPORT: undefined, SUI_GRPC_DEADLINE_MS: undefined, ...exported},
      })
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, new RegExp(`^Chain: +${chainId} \\(localnet; configured: localnet\\)$`, 'm'))
      assert.match(result.stdout, /^Streaming: +works/m)
    } finally {
      server.kill('SIGTERM')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
    }
  })
})
