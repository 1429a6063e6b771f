import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadConfig} from '../../src/config/config.ts'
import {ConfigError} from '../../src/errors.ts'

const PKG_A = '0xa1'
const LONG_A = `0x${'0'.repeat(62)}a1`

function dir(files: Record<string, string> = {}): string {
  const path = mkdtempSync(join(tmpdir(), 'confio-config-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text)
  return path
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
    assert.equal(error.exitCode, 2)
    assert.ok(!error.oneLine().includes('\n'), 'one line')
    return error
  }
  assert.fail('expected a ConfigError')
}

describe('config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({env: {}, cwd: dir()})
    assert.equal(config.databaseUrl, 'postgres://127.0.0.1:5432/confio')
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379/0')
    assert.equal(config.redisPrefix, 'confio:')
    assert.equal(config.redisCommandTimeoutMs, 1_000)
    assert.equal(config.balanceMemoryMaxAgeMs, 60_000)
    assert.equal(config.pipelineLagThresholdMs, 10_000)
    assert.equal(config.sui.network, 'mainnet')
    assert.equal(config.sui.grpcUrl, 'https://fullnode.mainnet.sui.io:443')
    assert.equal(config.sui.deadlineMs, 10_000)
    assert.equal(config.sources.SUI_NETWORK, 'default')
    assert.deepEqual(config.contracts.monitored, [])
    assert.deepEqual(config.tokens.list().map((t) => t.symbol), ['USDC', 'SUI'])
  })

  it('reads the Redis command timeout, the memory max age and the pipeline lag threshold as durations', () => {
    const config = loadConfig({env: {REDIS_COMMAND_TIMEOUT: '250ms', BALANCE_MEMORY_MAX_AGE: '5s', PIPELINE_LAG_THRESHOLD: '3s'}, cwd: dir()})
    assert.deepEqual([config.redisCommandTimeoutMs, config.balanceMemoryMaxAgeMs, config.pipelineLagThresholdMs], [250, 5_000, 3_000])
  })

  it('serves no metrics unless METRICS_PORT (or --metrics-port) says where, on 127.0.0.1 unless METRICS_HOST says otherwise', () => {
    const none = loadConfig({env: {}, cwd: dir()})
    assert.deepEqual([none.metricsPort, none.metricsHost], [undefined, '127.0.0.1'])
    const set = loadConfig({env: {METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0'}, flags: {METRICS_PORT: '9470'}, cwd: dir()})
    assert.deepEqual([set.metricsPort, set.metricsHost, set.sources.METRICS_PORT], [9470, '0.0.0.0', 'flag'])
  })

  it('derives the gRPC default from the network', () => {
    assert.equal(loadConfig({env: {SUI_NETWORK: 'testnet'}, cwd: dir()}).sui.grpcUrl, 'https://fullnode.testnet.sui.io:443')
    assert.equal(loadConfig({env: {SUI_NETWORK: 'localnet'}, cwd: dir()}).sui.grpcUrl, 'http://127.0.0.1:9000')
  })

  it('takes flags over environment over .env over the config file over defaults', () => {
    const cwd = dir({'.env': 'SUI_NETWORK=devnet\nREDIS_PREFIX=from-dotenv:\nCUSD_ADDRESS=0xc1\n', 'confio.config.json': JSON.stringify({SUI_NETWORK: 'localnet', REDIS_PREFIX: 'from-file:', PAY_ADDRESS: '0xd1', CUSD_ADDRESS: '0xc2'})})
    const fileOnly = loadConfig({env: {}, cwd})
    assert.equal(fileOnly.sui.network, 'devnet', '.env beats the file')
    assert.equal(fileOnly.contracts.pay, `0x${'0'.repeat(62)}d1`, 'the file beats the default')
    assert.equal(fileOnly.sources.PAY_ADDRESS, 'config file')
    const envToo = loadConfig({env: {SUI_NETWORK: 'testnet'}, cwd})
    assert.equal(envToo.sui.network, 'testnet', 'environment beats .env')
    assert.equal(envToo.sources.SUI_NETWORK, 'environment')
    const flagToo = loadConfig({env: {REDIS_URL: 'redis://10.0.0.1:6379'}, flags: {REDIS_URL: 'redis://127.0.0.2:6380/1'}, cwd})
    assert.equal(flagToo.redisUrl, 'redis://127.0.0.2:6380/1', 'flag beats environment')
    assert.equal(flagToo.sources.REDIS_URL, 'flag')
  })

  it('reads the config file named by CONFIO_CONFIG, and refuses a missing one', () => {
    const cwd = dir({'other.json': JSON.stringify({SUI_NETWORK: 'testnet'})})
    assert.equal(loadConfig({env: {CONFIO_CONFIG: 'other.json'}, cwd}).sui.network, 'testnet')
    assert.match(configError(() => loadConfig({env: {CONFIO_CONFIG: 'missing.json'}, cwd})).message, /^CONFIO_CONFIG: file .*missing\.json does not exist/)
  })

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({env: {SUI_NETWORK: ''}, cwd: dir()}).sui.network, 'mainnet')
  })

  it('accepts QUICKNODE_GRPC_ENDPOINT as an alias, and host:port as TLS', () => {
    const config = loadConfig({env: {QUICKNODE_GRPC_ENDPOINT: 'my-node.sui-mainnet.quiknode.pro:9000'}, cwd: dir()})
    assert.equal(config.sui.grpcUrl, 'https://my-node.sui-mainnet.quiknode.pro:9000')
    const both = loadConfig({env: {QUICKNODE_GRPC_ENDPOINT: 'a.example:9000', SUI_GRPC_URL: 'http://127.0.0.1:9123'}, cwd: dir()})
    assert.equal(both.sui.grpcUrl, 'http://127.0.0.1:9123')
  })

  it('normalizes contracts and builds the token registry', () => {
    const config = loadConfig({env: {CUSD_ADDRESS: '0xC1', CONFIO_ADDRESS: '0xc0', PAY_ADDRESS: PKG_A, P2P_TRADE_ADDRESS: '0xb1', MONITORED_CONTRACTS: `0xe1, ${LONG_A}`}, cwd: dir()})
    const long = (hex: string) => `0x${hex.padStart(64, '0')}`
    assert.deepEqual(config.contracts.monitored, [long('c1'), long('c0'), LONG_A, long('b1'), long('e1')])
    assert.deepEqual(config.tokens.bySymbol('CUSD'), {symbol: 'CUSD', coinType: `${long('c1')}::cusd::CUSD`, decimals: 6})
    assert.equal(config.tokens.bySymbol('CONFIO')?.decimals, 9)
    assert.equal(config.tokens.byCoinType('0x2::sui::SUI')?.symbol, 'SUI')
    assert.equal(config.tokens.bySymbol('USDC')?.decimals, 6)
  })

  it('lets the config file add and override tokens', () => {
    const cwd = dir({'confio.config.json': JSON.stringify({tokens: {USDT: {coinType: '0xf1::usdt::USDT', decimals: 6}, USDC: {coinType: '0xf2::usdc::USDC', decimals: 6}}})})
    const config = loadConfig({env: {}, cwd})
    assert.equal(config.tokens.bySymbol('USDT')?.coinType, `0x${'0'.repeat(62)}f1::usdt::USDT`)
    assert.equal(config.tokens.bySymbol('USDC')?.coinType, `0x${'0'.repeat(62)}f2::usdc::USDC`)
  })

  it('is frozen', () => {
    const config = loadConfig({env: {}, cwd: dir()})
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.sui) && Object.isFrozen(config.contracts.monitored))
    assert.throws(() => {
      ;(config as {redisPrefix: string}).redisPrefix = 'x'
    }, TypeError)
  })

  describe('rejects, naming the setting, its source, the value and what is expected', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['a malformed address', {CUSD_ADDRESS: '0xnothex'}, /^CUSD_ADDRESS \(from environment\): "0xnothex" is not valid; expected a Sui address: 0x followed by 1 to 64 hex digits$/],
      ['an address without 0x', {PAY_ADDRESS: 'abc'}, /^PAY_ADDRESS .*expected a Sui address/],
      ['an address over 64 hex digits', {P2P_TRADE_ADDRESS: `0x${'a'.repeat(65)}`}, /^P2P_TRADE_ADDRESS .*expected a Sui address/],
      ['a bad entry in MONITORED_CONTRACTS', {MONITORED_CONTRACTS: '0x1,zz'}, /^MONITORED_CONTRACTS .*"zz" is not one/],
      ['a malformed URL', {DATABASE_URL: 'not a url'}, /^DATABASE_URL .*expected a URL with scheme postgres or postgresql$/],
      ['a URL of the wrong scheme', {REDIS_URL: 'http://127.0.0.1:6379'}, /^REDIS_URL .*expected a URL with scheme redis or rediss$/],
      ['a gRPC URL with a path', {SUI_GRPC_URL: 'https://a.example:9000/abc'}, /^SUI_GRPC_URL .*no path/],
      ['a gRPC URL of another scheme', {SUI_GRPC_URL: 'ftp://a.example'}, /^SUI_GRPC_URL .*scheme http or https/],
      ['a bad coin type', {USDC_COIN_TYPE: '0x5::usdc'}, /^USDC_COIN_TYPE .*expected a coin type like 0x2::sui::SUI/],
      ['a coin type with a bad address', {USDC_COIN_TYPE: 'zz::usdc::USDC'}, /^USDC_COIN_TYPE .*expected a coin type/],
      ['a non-number', {SUI_GRPC_DEADLINE_MS: 'ten'}, /^SUI_GRPC_DEADLINE_MS .*"ten" is not valid; expected a whole number from 100 to 600000$/],
      ['a number out of range', {SUI_RPC_RPS: '0'}, /^SUI_RPC_RPS .*expected a whole number from 1/],
      ['a metrics port out of range', {METRICS_PORT: '70000'}, /^METRICS_PORT .*expected a whole number from 1 to 65535$/],
      ['an unknown network', {SUI_NETWORK: 'moonnet'}, /^SUI_NETWORK .*expected one of mainnet, testnet, devnet, localnet$/],
      ['an unknown log level', {LOG_LEVEL: 'loud'}, /^LOG_LEVEL .*expected one of trace/],
      ['an unknown transport', {SUI_GRPC_TRANSPORT: 'http3'}, /^SUI_GRPC_TRANSPORT .*expected one of grpc, grpc-web$/],
      ['malformed headers', {SUI_GRPC_HEADERS: 'no-colon-here'}, /^SUI_GRPC_HEADERS .*"name: value" pairs/],
      ['a bad redis prefix', {REDIS_PREFIX: 'has space'}, /^REDIS_PREFIX .*letters, digits/],
      ['a Redis command timeout without its unit', {REDIS_COMMAND_TIMEOUT: '500'}, /^REDIS_COMMAND_TIMEOUT \(from environment\): "500" is not valid; expected a duration with its unit from 10ms to 60s/],
      ['a memory max age out of range', {BALANCE_MEMORY_MAX_AGE: '2h'}, /^BALANCE_MEMORY_MAX_AGE .*expected a duration with its unit from 100ms to 1h/],
      ['a pipeline lag threshold below 2 s', {PIPELINE_LAG_THRESHOLD: '500ms'}, /^PIPELINE_LAG_THRESHOLD .*expected a duration with its unit from 2s to 1h/],
      ['a malformed private key', {SUI_SIGNER_PRIVATE_KEY: 'deadbeefdeadbeef'}, /^SUI_SIGNER_PRIVATE_KEY .*suiprivkey1/],
      ['a statement timeout without its unit (30 ms to PostgreSQL)', {PG_STATEMENT_TIMEOUT: '30'}, /^PG_STATEMENT_TIMEOUT \(from environment\): "30" is not valid; expected a duration with its unit from 100ms to 1d/],
      // WHATWG URLs read a bare number as an IPv4 address: 9123 would be https://0.0.35.163:443.
      ['a gRPC URL that is a port alone', {SUI_GRPC_URL: '9123'}, /^SUI_GRPC_URL \(from environment\): "9123" is not valid; expected a URL with a host name or a whole IP address \("9123" would be read as 0\.0\.35\.163\)$/],
      ['a gRPC URL with an abbreviated IP address', {SUI_GRPC_URL: 'http://127.1:9000'}, /^SUI_GRPC_URL .*"127\.1" would be read as 127\.0\.0\.1/],
    ]
    for (const [what, env, pattern] of cases) {
      it(what, () => assert.match(configError(() => loadConfig({env, cwd: dir()})).message, pattern))
    }

    it('a bad value from .env names .env', () => {
      assert.match(configError(() => loadConfig({env: {}, cwd: dir({'.env': 'SUI_NETWORK=x\n'})})).message, /^SUI_NETWORK \(from \.env\)/)
    })

    it('a config file that is not JSON', () => {
      assert.match(configError(() => loadConfig({env: {}, cwd: dir({'confio.config.json': '{nope'})})).message, /^CONFIO_CONFIG: .* is not valid JSON/)
    })

    it('a URL written as a JSON number or boolean in the config file', () => {
      const refused = (settings: Record<string, unknown>) => configError(() => loadConfig({env: {}, cwd: dir({'confio.config.json': JSON.stringify(settings)})})).message
      assert.match(refused({SUI_GRPC_URL: 9123}), /^SUI_GRPC_URL \(from config file\): 9123 in .*confio\.config\.json is a JSON number; expected a URL, as a string$/)
      assert.match(refused({QUICKNODE_GRPC_ENDPOINT: 9000}), /^QUICKNODE_GRPC_ENDPOINT \(from config file\): 9000 in .* is a JSON number/)
      assert.match(refused({REDIS_URL: true}), /^REDIS_URL \(from config file\): true in .* is a JSON boolean/)
      // Numbers stay numbers where a setting is one.
      assert.equal(loadConfig({env: {}, cwd: dir({'confio.config.json': JSON.stringify({SUI_RPC_RPS: 7, SUI_GRPC_URL: 'http://127.0.0.1:9123'})})}).sui.requestsPerSecond, 7)
    })

    it('an unknown key in the config file', () => {
      assert.match(configError(() => loadConfig({env: {}, cwd: dir({'confio.config.json': '{"SUI_NETWRK": "testnet"}'})})).message, /^SUI_NETWRK: in .* is not a confio setting/)
    })

    it('a token with bad decimals or coin type', () => {
      const bad = (tokens: unknown) => configError(() => loadConfig({env: {}, cwd: dir({'confio.config.json': JSON.stringify({tokens})})})).message
      assert.match(bad({USDT: {coinType: '0x1::usdt::USDT', decimals: 1.5}}), /^tokens\.USDT .*decimals: 1\.5 is not valid; expected a whole number from 0 to 19$/)
      assert.match(bad({USDT: {coinType: 'usdt', decimals: 6}}), /^tokens\.USDT .*coinType: "usdt" is not valid/)
      assert.match(bad({usdt: {coinType: '0x1::usdt::USDT', decimals: 6}}), /^tokens\.usdt .*symbol is not valid/)
      assert.match(bad({SUI2: {coinType: '0x2::sui::SUI', decimals: 9}}), /same coin type as/)
    })
  })

  describe('secrets', () => {
    const token = 'qn-token-0123456789abcdef'
    it('never shows a token in full in an error', () => {
      const message = configError(() => loadConfig({env: {SUI_SIGNER_PRIVATE_KEY: `bad${token}`}, cwd: dir()})).message
      assert.ok(!message.includes(token), message)
    })

    it('never shows a URL password in an error', () => {
      const message = configError(() => loadConfig({env: {DATABASE_URL: 'mysql://u:hunter2secret@db/x'}, cwd: dir()})).message
      assert.ok(!message.includes('hunter2secret'), message)
      assert.match(message, /mysql:\/\/u:\*\*\*@db\/x/)
    })

    it('never shows header values in an error', () => {
      const message = configError(() => loadConfig({env: {SUI_GRPC_HEADERS: 'authorization: Bearer sekr3tkey, broken'}, cwd: dir()})).message
      assert.ok(!message.includes('sekr3tkey'), message)
    })

    it('teaches the scrubber every secret', () => {
      const config = loadConfig({env: {SUI_GRPC_TOKEN: token, SUI_GRPC_HEADERS: 'authorization: Bearer sekr3tkey', REDIS_URL: 'redis://:p4ssword@127.0.0.1:6379'}, cwd: dir()})
      const text = config.scrubber.scrub(`token=${token} header=Bearer sekr3tkey url=redis://:p4ssword@127.0.0.1:6379`)
      for (const secret of [token, 'sekr3tkey', 'p4ssword']) assert.ok(!text.includes(secret), text)
      assert.equal(config.sui.token, token)
      assert.deepEqual(config.sui.headers, {authorization: 'Bearer sekr3tkey'})
    })
  })
})
