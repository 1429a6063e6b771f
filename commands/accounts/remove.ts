import {Flags} from '@oclif/core'
import {ConfioCommand} from '../../cli/base-command.ts'
import {type Account, AccountRepository} from '../../src/accounts/account-repository.ts'
import {UsageError} from '../../src/errors.ts'
import {isSuiAddress, normalizeAddress} from '../../src/sui/identifiers.ts'

export default class AccountsRemove extends ConfioCommand<typeof AccountsRemove> {
  static override summary = 'Stop monitoring an account (its history is kept).'
  static override examples = ['<%= config.bin %> accounts remove --email ana@example.com', '<%= config.bin %> accounts remove --address 0x9a4c1e0b7d2f3a5c6e8b9d0f1a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d']
  static override flags = {
    email: Flags.string({summary: 'Email of the account.', exactlyOne: ['email', 'address']}),
    address: Flags.string({summary: 'Sui address of the account.', exactlyOne: ['email', 'address']}),
  }

  async run(): Promise<Account> {
    const {email, address} = this.flags
    if (address !== undefined && !isSuiAddress(address.trim())) {
      throw new UsageError(`--address ${JSON.stringify(address)} is not a Sui address`, {remedy: 'use 0x followed by 1 to 64 hex digits'})
    }
    const selector = address !== undefined ? {address: normalizeAddress(address)} : {email: (email ?? '').trim().toLowerCase()}
    const account = await new AccountRepository(await this.db()).remove(selector)
    if (!this.jsonEnabled()) this.log(`Removed account ${account.id}: ${account.email ?? ''} ${account.address}`)
    return account
  }
}
