import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {durationFlag} from '../cli/durations.ts'
import {renderConnectionCheck} from '../cli/render/connection-check-screen.ts'
import {whileWaiting} from '../cli/wait-spinner.ts'
import {checkConnection, type ConnectionCheckResult} from '../src/chain/index.ts'
import {UsageError} from '../src/errors.ts'
import {isSuiAddress, normalizeAddress} from '../src/sui/identifiers.ts'

export default class TestConnection extends ConfioCommand<typeof TestConnection> {
  static override summary = 'Check the Sui gRPC endpoint: chain, height, latency, streaming, transaction listing, and optionally balances.'
  static override description = [
    'Reads SUI_GRPC_URL, SUI_NETWORK, SUI_GRPC_TOKEN and SUI_GRPC_HEADERS like every other command.',
    'When the endpoint is unusable it exits 1 with one line saying why and what to change: nothing answers, TLS fails, the token is rejected, the node is on another network, or it does not speak gRPC. Each call is made once, without the retries the long-running commands use.',
    'A subscription that sends nothing within --stream-timeout is reported but does not fail the check: poll works without streaming.',
    'It also says whether the endpoint serves ListTransactions, which confio backfill uses to read an account’s past; an endpoint without it still works, and backfill scans checkpoints instead.',
  ].join('\n\n')
  static override examples = [
    {description: 'Check the configured endpoint.', command: '<%= config.bin %> test-connection'},
    {
      description: 'Check the local test server (npm run sui-server prints these settings).',
      command: 'SUI_NETWORK=localnet SUI_GRPC_URL=http://127.0.0.1:9123 <%= config.bin %> test-connection',
    },
    {
      description: 'Check a QuickNode endpoint with its token.',
      command: 'SUI_GRPC_TOKEN=… <%= config.bin %> test-connection --grpc-url https://example.sui-mainnet.quiknode.pro:9000',
    },
    {
      description: 'Also read an address’s balance of every registered token, over 20 timed round trips.',
      command: '<%= config.bin %> test-connection --address 0x5f0a9c3e1b7d2846a0c9e3f1b5d7a2c4e6f8091a3b5c7d9e1f2a4b6c8d0e2f4a --count 20',
    },
    {description: 'Give a slow provider longer to send its first streamed checkpoint.', command: '<%= config.bin %> test-connection --stream-timeout 30s'},
    {description: 'The result, or the error with its code and remedy, as JSON.', command: '<%= config.bin %> test-connection --json'},
  ]
  static override flags = {
    address: Flags.string({summary: 'Also read this address’s balance of every registered token.'}),
    count: Flags.integer({min: 1, max: 1000, default: 10, summary: 'Round trips to time.'}),
    'stream-timeout': durationFlag({default: 10_000, summary: 'How long to wait for the first streamed checkpoint (e.g. 10s, 1m).'}),
  }

  async run(): Promise<ConnectionCheckResult> {
    const {address} = this.flags
    if (address !== undefined && !isSuiAddress(address.trim())) {
      throw new UsageError(`--address ${JSON.stringify(address)} is not a Sui address`, {remedy: 'use 0x followed by 1 to 64 hex digits'})
    }
    const tokens = this.settings.tokens.list().map(({symbol, coinType}) => ({symbol, coinType}))
    // One attempt per call: a check reports a refused connection at once instead of retrying it.
    const check = {count: this.flags.count, tokens, streamTimeoutMs: this.flags['stream-timeout'], ...(address ? {address: normalizeAddress(address)} : {})}
    const result = await whileWaiting(this.progressMode(), 'connecting to the Sui gRPC endpoint and timing its calls', () => checkConnection(this.chain({maxAttempts: 1}), check))
    if (this.jsonEnabled()) return result
    const amounts = this.amounts()
    await amounts.learn(result.balances?.tokens.map((t) => t.coinType) ?? [])
    this.log(renderConnectionCheck(result, amounts))
    return result
  }
}
