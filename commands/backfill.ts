import {Flags} from '@oclif/core'
import {BackfillCommand, backfillCheckpointFlag, backfillSinceFlag, backfillSourceFlag, backfillStart} from '../cli/backfill-parts.ts'
import {AccountRepository} from '../src/accounts/account-repository.ts'
import {UsageError} from '../src/errors.ts'
import type {BackfillReport} from '../src/ingest/account-backfill.ts'

export default class Backfill extends BackfillCommand<typeof Backfill> {
  static override summary = "Store accounts' past transactions, from a checkpoint or a time ago, as if they had been monitored since."
  static override description = [
    "Reads each account's transactions from the start given up to its monitored_from (where its guaranteed history begins) and stores and queues them exactly as the poller does: the same rows, the same relevance rule, the same jobs, so the worker builds history, contract records and balances as if the account had been monitored from that point. When everything is stored, monitored_from moves back to the start.",
    "The history is read with the node's ListTransactions (an affected-address filter) where the node serves it, otherwise by scanning the checkpoints; confio test-connection says which. Running it twice changes nothing, and it is safe while the poller runs.",
  ].join('\n\n')
  static override examples = [
    {description: "A new user's last 30 days.", command: '<%= config.bin %> backfill --account ana@example.com --since 30d'},
    {description: 'Two accounts from a checkpoint, by scan.', command: '<%= config.bin %> backfill --account ana@example.com --account 0x9a4c1e0b7d2f3a5c6e8b9d0f1a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d --from-checkpoint 180000000 --source scan'},
  ]
  static override flags = {
    account: Flags.string({multiple: true, required: true, summary: 'An account to backfill, by email, address or id (repeatable).'}),
    'from-checkpoint': backfillCheckpointFlag,
    since: backfillSinceFlag,
    source: backfillSourceFlag,
  }

  async run(): Promise<BackfillReport> {
    const start = backfillStart({checkpoint: this.flags['from-checkpoint'], sinceMs: this.flags.since}, {checkpoint: 'from-checkpoint', since: 'since'})
    if (!start) throw new UsageError('say where the backfill starts', {remedy: 'add --from-checkpoint N or --since 30d'})
    const db = await this.db()
    const repository = new AccountRepository(db)
    const accounts = []
    for (const ref of this.flags.account) {
      const account = await repository.named(ref, '--account')
      accounts.push({id: account.id, address: account.address, email: account.email})
    }
    return this.backfill(accounts, start, this.flags.source)
  }
}
