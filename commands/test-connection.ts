import {Flags} from '@oclif/core'
import {ConfioCommand} from '../cli/base-command.ts'
import {formatTable} from '../cli/table.ts'
import {checkConnection, type ConnectionCheckResult} from '../src/chain/index.ts'
import {UsageError} from '../src/errors.ts'
import {isSuiAddress, normalizeAddress} from '../src/sui/identifiers.ts'
import {formatAmount} from '../src/tokens/amounts.ts'

export default class TestConnection extends ConfioCommand<typeof TestConnection> {
  static override summary = 'Check the Sui gRPC endpoint: chain, height, latency, streaming, and optionally balances.'
  static override examples = [
    '<%= config.bin %> test-connection',
    '<%= config.bin %> test-connection --address 0x9a4c…e1 --count 20',
    '<%= config.bin %> test-connection --json',
  ]
  static override flags = {
    address: Flags.string({summary: 'Also read this address’s balance of every registered token.'}),
    count: Flags.integer({min: 1, max: 1000, default: 10, summary: 'Round trips to time.'}),
  }

  async run(): Promise<ConnectionCheckResult> {
    const {address} = this.flags
    if (address !== undefined && !isSuiAddress(address.trim())) {
      throw new UsageError(`--address ${JSON.stringify(address)} is not a Sui address`, {remedy: 'use 0x followed by 1 to 64 hex digits'})
    }
    const tokens = this.settings.tokens.list().map(({symbol, coinType}) => ({symbol, coinType}))
    const result = await checkConnection(this.chain(), {count: this.flags.count, tokens, ...(address ? {address: normalizeAddress(address)} : {})})
    if (!this.jsonEnabled()) this.show(result)
    return result
  }

  private show(r: ConnectionCheckResult): void {
    const ms = (n: number) => `${n.toFixed(1)} ms`
    this.log(`Endpoint:      ${r.endpoint}`)
    this.log(`Chain:         ${r.chainId} (${r.chainNetwork ?? r.chain}; configured: ${r.configuredNetwork})`)
    this.log(`Checkpoint:    ${r.checkpointHeight} (${(r.checkpointAgeMs / 1000).toFixed(1)} s old), lowest available ${r.lowestAvailableCheckpoint}`)
    this.log(`Server:        ${r.serverVersion}`)
    this.log(`Latency:       min ${ms(r.latency.minMs)}, p50 ${ms(r.latency.p50Ms)}, p99 ${ms(r.latency.p99Ms)} over ${r.latency.samples} calls`)
    this.log(`Streaming:     ${streamingLine(r.streaming)}`)
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

function streamingLine(streaming: ConnectionCheckResult['streaming']): string {
  return streaming.ok ? `works, first frame (checkpoint ${streaming.checkpoint}) after ${streaming.firstFrameMs.toFixed(0)} ms` : `not working (${streaming.error})`
}
