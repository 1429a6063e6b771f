import {Flags} from '@oclif/core'
import {ConfioCommand} from '../../cli/base-command.ts'
import {checkAccountInput} from '../../src/accounts/account-fields.ts'
import {type Account, AccountRepository} from '../../src/accounts/account-repository.ts'
import {UsageError} from '../../src/errors.ts'

export default class AccountsAdd extends ConfioCommand<typeof AccountsAdd> {
  static override summary = 'Register a wallet account whose address confio monitors.'
  static override examples = ['<%= config.bin %> accounts add --email ana@example.com --address 0x9a4c1e0b7d2f3a5c6e8b9d0f1a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d --label "Ana"']
  static override flags = {
    email: Flags.string({required: true, summary: 'Email of the account (unique).'}),
    address: Flags.string({required: true, summary: 'Sui address, 0x followed by up to 64 hex digits.'}),
    label: Flags.string({summary: 'Free-text label.'}),
  }

  async run(): Promise<Account> {
    const input = checkAccountInput(this.flags)
    if (typeof input === 'string') throw new UsageError(input, {remedy: 'fix --email / --address / --label'})
    const account = await new AccountRepository(await this.db()).add(input)
    if (!this.jsonEnabled()) this.log(`Added account ${account.id}: ${account.email} ${account.address}`)
    return account
  }
}
