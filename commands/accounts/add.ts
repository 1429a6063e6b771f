import {Flags} from '@oclif/core'
import {BackfillCommand, backfillCheckpointFlag, backfillSinceFlag, backfillSourceFlag, backfillStart} from '../../cli/backfill-parts.ts'
import {checkAccountInput} from '../../src/accounts/account-fields.ts'
import {type Account, AccountRepository} from '../../src/accounts/account-repository.ts'
import {UsageError} from '../../src/errors.ts'
import type {BackfillReport} from '../../src/ingest/account-backfill.ts'

export default class AccountsAdd extends BackfillCommand<typeof AccountsAdd> {
  static override summary = 'Register a wallet account whose address confio monitors.'
  static override description = 'The account is monitored from the checkpoint after the poller\'s cursor: every transaction from there on is stored, wherever the poller\'s next look at the accounts falls. --backfill-from / --backfill-since also store its history from before (see confio backfill).'
  static override examples = [
    '<%= config.bin %> accounts add --email ana@example.com --address 0x9a4c1e0b7d2f3a5c6e8b9d0f1a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d --label "Ana"',
    '<%= config.bin %> accounts add --email bo@example.com --address 0x5f2e8c1a9b3d7f4e6a0c2b8d5f1e3a7c9b4d6f8e0a2c5b7d9f1e3a6c8b0d2f4e --backfill-since 30d',
  ]
  static override flags = {
    email: Flags.string({required: true, summary: 'Email of the account (unique).'}),
    address: Flags.string({required: true, summary: 'Sui address, 0x followed by up to 64 hex digits.'}),
    label: Flags.string({summary: 'Free-text label.'}),
    'backfill-from': backfillCheckpointFlag,
    'backfill-since': backfillSinceFlag,
    'backfill-source': backfillSourceFlag,
  }

  async run(): Promise<Account & {backfill?: BackfillReport}> {
    const input = checkAccountInput(this.flags)
    if (typeof input === 'string') throw new UsageError(input, {remedy: 'fix --email / --address / --label'})
    const start = backfillStart({checkpoint: this.flags['backfill-from'], sinceMs: this.flags['backfill-since']}, {checkpoint: 'backfill-from', since: 'backfill-since'})
    const db = await this.db()
    // The backfill's queue needs Redis: checked before the account is added, not after.
    if (start) await this.redis()
    const account = await new AccountRepository(db).add(input)
    if (!this.jsonEnabled()) this.log(`Added account ${account.id}: ${account.email} ${account.address}`)
    if (!start) return account
    const backfill = await this.backfill([{id: account.id, address: account.address, email: account.email}], start, this.flags['backfill-source'])
    return {...account, backfill}
  }
}
