import {Flags} from '@oclif/core'
import {ConfioCommand} from '../../cli/base-command.ts'
import {ownerAddress, ownerFlags, tokenFlag} from '../../cli/coin-flags.ts'
import {formatTable} from '../../cli/table.ts'
import {dustThresholdOf} from '../../src/coins/coin-holding.ts'
import {type CoinInspection, inspectCoins, type TokenCoins} from '../../src/coins/coin-inspection.ts'
import {CoinManager} from '../../src/coins/coin-manager.ts'
import {UsageError} from '../../src/errors.ts'
import {formatAmount} from '../../src/tokens/amounts.ts'

export default class CoinsInspect extends ConfioCommand<typeof CoinsInspect> {
  static override summary = "Show an address's coin objects per token: count, amounts, dust, and whether to consolidate."
  static override description = [
    'For every registered token (or the one given): how many coin objects the address holds, the total with the part in coins and the part in its address balance, the smallest and largest coin, how many coins are dust (below COIN_DUST_THRESHOLD, or --dust, in display units) and what they add up to.',
    'Consolidation is due when the address holds more coins than COIN_MAX_COINS (or --max-coins), or when paying half of what it holds would take more than 10 coins. The coins are read in full (1,000 a page); nothing is sent.',
  ].join('\n\n')
  static override examples = [
    {description: 'Every token of one address.', command: '<%= config.bin %> coins inspect --address 0x9a4c1e0b7d2f3a5c6e8b9d0f1a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d'},
    {description: 'Every token of a registered account, named by its email (or address, or id).', command: '<%= config.bin %> coins inspect --account ana@example.com'},
    {description: 'cUSD only, with dust below 0.05 cUSD, as JSON (amounts in base units).', command: '<%= config.bin %> coins inspect --address 0x9a4c1e0b7d2f3a5c6e8b9d0f1a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d --token CUSD --dust 0.05 --json'},
  ]
  static override flags = {
    ...ownerFlags('inspect'),
    token: tokenFlag({summary: 'Only this token: a symbol (SUI, CUSD, …) or a coin type.'}),
    dust: Flags.string({summary: 'Dust threshold in display units (COIN_DUST_THRESHOLD, default 0.01).'}),
    'max-coins': Flags.integer({min: 1, max: 100_000, summary: 'Consolidation is due above this many coins (COIN_MAX_COINS, default 50).'}),
  }

  async run(): Promise<CoinInspection> {
    const manager = new CoinManager({chain: this.chain(), tokens: this.settings.tokens})
    const tokens = this.flags.token === undefined ? this.settings.tokens.list() : [manager.token(this.flags.token)]
    const dust = this.flags.dust ?? this.settings.coins.dustThreshold
    checkDust(dust)
    const address = await ownerAddress(this.flags, () => this.db())
    const result = await inspectCoins(manager, address, tokens, {dustThreshold: dust, maxCoins: this.flags['max-coins'] ?? this.settings.coins.maxCoins}, {signal: this.stopSignal})
    if (!this.jsonEnabled()) this.show(result, dust)
    return result
  }

  private show(r: CoinInspection, dust: string): void {
    this.log(`Coins of ${r.address} (protocol limits: ${r.limits.source})`)
    const amount = (t: TokenCoins, value: bigint | null) => (value === null ? '-' : formatAmount(value, t.decimals))
    const rows = r.tokens.map((t) => [
      t.token,
      t.coins.toLocaleString('en-US'),
      amount(t, t.total),
      amount(t, t.coinBalance),
      amount(t, t.addressBalance),
      amount(t, t.smallest),
      amount(t, t.largest),
      t.dust.count === 0 ? '0' : `${t.dust.count.toLocaleString('en-US')} (${amount(t, t.dust.amount)})`,
      t.consolidation.due ? 'due' : 'not due',
    ])
    this.log(formatTable(['TOKEN', 'COINS', 'TOTAL', 'IN COINS', 'ADDRESS BALANCE', 'SMALLEST', 'LARGEST', `DUST (< ${dust})`, 'CONSOLIDATION'], rows))
    this.log('')
    for (const t of r.tokens) this.log(`${t.token}: ${t.consolidation.due ? 'consolidation due' : 'not due'}: ${t.consolidation.reason}`)
    const due = r.tokens.filter((t) => t.consolidation.due)
    for (const t of due) this.log(`  consolidate: ${this.config.bin} coins consolidate --address ${r.address} --token ${t.token}`)
  }
}

/** The threshold in the finest precision any token has (19 decimals): a malformed one fails here. */
function checkDust(dust: string): void {
  try {
    dustThresholdOf(dust, 19)
  } catch {
    throw new UsageError(`--dust ${JSON.stringify(dust)} is not a decimal amount`, {remedy: 'write it like 0.01'})
  }
}
