import {Flags} from '@oclif/core'
import {ConfioCommand} from '../../cli/base-command.ts'
import {ownerAddress, ownerFlags, tokenFlag} from '../../cli/coin-flags.ts'
import {renderConsolidation} from '../../cli/render/consolidation-screen.ts'
import {consolidationProgress, consolidationSteps} from '../../cli/render/consolidation-progress.ts'
import {withSteps} from '../../cli/step-list.ts'
import {CoinManager} from '../../src/coins/coin-manager.ts'
import {CONSOLIDATION_TARGETS} from '../../src/coins/consolidation-plan.ts'
import {type ConsolidationResult, consolidationResult} from '../../src/coins/consolidation-result.ts'
import {dryRunConsolidation, executeConsolidation} from '../../src/coins/consolidation-runner.ts'
import {signerFromPrivateKey, type TransactionSigner} from '../../src/coins/transaction-signer.ts'
import {ConfigError, UsageError} from '../../src/errors.ts'

export default class CoinsConsolidate extends ConfioCommand<typeof CoinsConsolidate> {
  static override summary = "Fold an address's coins of a token into its address balance, or merge them into one coin."
  static override description = [
    'Plans the transactions that consolidate the coins (smallest first, each within the protocol limits: input objects, arguments per command, transaction size, gas coins), builds each from the coins as they are now and simulates it: its gas, and the coins and balances it leaves. Without --execute nothing is sent.',
    '--into address-balance (the default where the network has address balances) folds the coins into the address balance with 0x2::coin::send_funds, after which payments draw on it and no coin objects need managing; --into coin merges them into the largest coin. SUI coins are merged through the gas payment, the largest being the gas coin, which stays; other tokens pay gas from the SUI coins of the same address.',
    '--execute signs each transaction with the key in SUI_PRIVATE_KEY (suiprivkey1…: Ed25519, Secp256k1 or Secp256r1), refusing when it is not the key of --address, executes it, waits until it is in a checkpoint, and prints the digests and checkpoints. The key never appears in any output.',
    'When --execute stops part-way, the error names every transaction executed so far with its digest and checkpoint, and one sent without an answer by its digest, outcome unknown: look that one up before running again. --json gives the same under error.details (stoppedAt, executed, unknown).',
  ].join('\n\n')
  static override examples = [
    {description: 'See what consolidating cUSD would do (a dry run).', command: '<%= config.bin %> coins consolidate --address 0x9a4c1e0b7d2f3a5c6e8b9d0f1a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d --token CUSD'},
    {description: 'Do it, signing with SUI_PRIVATE_KEY.', command: 'SUI_PRIVATE_KEY=suiprivkey1… <%= config.bin %> coins consolidate --address 0x9a4c1e0b7d2f3a5c6e8b9d0f1a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d --token CUSD --execute'},
    {description: 'Merge SUI into one coin, keeping the two largest as they are.', command: '<%= config.bin %> coins consolidate --address 0x9a4c1e0b7d2f3a5c6e8b9d0f1a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d --token SUI --into coin --keep 2 --execute'},
  ]
  static override flags = {
    ...ownerFlags('consolidate'),
    token: tokenFlag({required: true, summary: 'The token: a symbol (SUI, CUSD, …) or a coin type.'}),
    into: Flags.option({options: CONSOLIDATION_TARGETS, summary: 'Where the coins go; default address-balance where the network has address balances, else coin.'})(),
    keep: Flags.integer({min: 0, max: 100_000, summary: 'Leave this many of the largest coins as they are; default 0.'}),
    'max-coins': Flags.integer({min: 1, max: 100_000, summary: 'For whether it is due: more coins than this (COIN_MAX_COINS, default 50).'}),
    'dry-run': Flags.boolean({exclusive: ['execute'], summary: 'Build and simulate only (the default).'}),
    execute: Flags.boolean({exclusive: ['dry-run'], summary: 'Sign with SUI_PRIVATE_KEY, execute, and wait for each checkpoint.'}),
  }

  async run(): Promise<ConsolidationResult> {
    const address = await ownerAddress(this.flags, () => this.db())
    const manager = new CoinManager({chain: this.chain(), tokens: this.settings.tokens})
    const token = manager.token(this.flags.token)
    // The key is checked before anything is read: a wrong key must not cost a round trip.
    const signer = this.flags.execute ? this.signerFor(address) : undefined
    const plan = await manager.planConsolidation(
      address,
      token,
      {into: this.flags.into, keep: this.flags.keep, maxCoins: this.flags['max-coins'] ?? this.settings.coins.maxCoins},
      {signal: this.stopSignal},
    )
    const mode = this.progressMode()
    const executing = signer !== undefined
    const plainLine = this.jsonEnabled() ? undefined : (line: string) => this.logToStderr(line)
    const run = await withSteps(mode, consolidationSteps(plan, executing), (steps) => {
      const options = {manager, chain: this.chain(), signal: this.stopSignal, ...consolidationProgress(mode, steps, plan, executing, plainLine)}
      return signer ? executeConsolidation(plan, signer, options) : dryRunConsolidation(plan, options)
    })
    const result = consolidationResult(run)
    if (!this.jsonEnabled()) this.log(renderConsolidation(result, token))
    return result
  }

  private signerFor(address: string): TransactionSigner {
    const key = this.settings.signerPrivateKey
    if (key === undefined) throw new ConfigError('SUI_PRIVATE_KEY', 'not set; --execute signs with it', {remedy: `set SUI_PRIVATE_KEY to the key of ${address} (suiprivkey1…), or leave out --execute for a dry run`})
    const signer = signerFromPrivateKey(key)
    if (signer.address !== address) {
      throw new UsageError(`the key in SUI_PRIVATE_KEY is for ${signer.address}, not ${address}; nothing was sent`, {remedy: `set SUI_PRIVATE_KEY to the key of ${address}`})
    }
    return signer
  }
}
