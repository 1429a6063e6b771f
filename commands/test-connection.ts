import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {durationFlag} from '../cli/durations.ts'
import {formatTable} from '../cli/table.ts'
import {checkConnection, type ConnectionCheckResult} from '../src/chain/index.ts'
import {UsageError} from '../src/errors.ts'
import {isSuiAddress, normalizeAddress} from '../src/sui/identifiers.ts'
import {formatAmount} from '../src/tokens/amounts.ts'

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
    const result = await checkConnection(this.chain({maxAttempts: 1}), {
      count: this.flags.count,
      tokens,
      streamTimeoutMs: this.flags['stream-timeout'],
      ...(address ? {address: normalizeAddress(address)} : {}),
    })
    if (!this.jsonEnabled()) this.show(result)
    return result
  }

  private show(r: ConnectionCheckResult): void {
    const ms = (n: number) => `${n.toFixed(1)} ms`
    this.log(`Endpoint:      ${r.endpoint}`)
    this.log(`Chain:         ${r.chainId} (${r.chainName}; configured: ${r.configuredNetwork})`)
    this.log(`Checkpoint:    ${r.checkpointHeight} (${(r.checkpointAgeMs / 1000).toFixed(1)} s old), lowest available ${r.lowestAvailableCheckpoint}`)
    this.log(`Server:        ${r.serverVersion}`)
    this.log(`Latency:       min ${ms(r.latency.minMs)}, p50 ${ms(r.latency.p50Ms)}, p99 ${ms(r.latency.p99Ms)} over ${r.latency.samples} calls`)
    this.log(`Streaming:     ${streamingLine(r.streaming)}`)
    this.log(`Backfill:      ${backfillLine(r)}`)
    if (r.balances) {
      this.log(`\nBalances of ${r.balances.address}:`)
      const rows = r.balances.tokens.map((t) => {
        const decimals = this.settings.tokens.bySymbol(t.symbol)?.decimals ?? 0
        return [t.symbol, formatAmount(t.total, decimals), formatAmount(t.coinBalance, decimals), formatAmount(t.addressBalance, decimals), String(t.coinObjects)]
      })
      this.log(formatTable(['TOKEN', 'TOTAL', 'IN COINS', 'ADDRESS BALANCE', 'COIN OBJECTS'], rows))
    }
  }
}

function backfillLine(r: ConnectionCheckResult): string {
  switch (r.transactionListing) {
    case 'supported':
      return 'ListTransactions is served: confio backfill reads account history with it'
    case 'unimplemented':
      return 'ListTransactions is not served (UNIMPLEMENTED): confio backfill will scan checkpoints'
    case 'unknown':
      return `could not tell whether ListTransactions is served (${r.transactionListingError ?? 'no reason given'}): confio backfill will scan checkpoints if it is not`
  }
}

function streamingLine(streaming: ConnectionCheckResult['streaming']): string {
  return streaming.ok ? `works, first frame (checkpoint ${streaming.checkpoint}) after ${streaming.firstFrameMs.toFixed(0)} ms` : `not working (${streaming.error})`
}
