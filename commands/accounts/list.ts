import {Flags} from '@oclif/core'
import {ConfioCommand} from '../../cli/base-command.ts'
import {formatTable} from '../../cli/table.ts'
import {type Account, AccountRepository} from '../../src/accounts/account-repository.ts'

export default class AccountsList extends ConfioCommand<typeof AccountsList> {
  static override summary = 'List the registered accounts.'
  static override examples = ['<%= config.bin %> accounts list', '<%= config.bin %> accounts list --json']
  static override flags = {
    'include-removed': Flags.boolean({summary: 'Also list removed accounts.'}),
  }

  async run(): Promise<{accounts: Account[]}> {
    const accounts = await new AccountRepository(await this.db()).list({includeDeleted: this.flags['include-removed']})
    if (!this.jsonEnabled()) {
      const rows = accounts.map((a) => [a.id, a.email ?? '', a.address, a.label ?? '', a.monitoredFrom ?? '-', note(a)])
      this.log(accounts.length ? formatTable(['ID', 'EMAIL', 'ADDRESS', 'LABEL', 'HISTORY FROM', 'NOTE'], rows) : 'No accounts.')
    }
    return {accounts}
  }
}

function note(account: Account): string {
  if (account.deletedAt) return `removed ${account.deletedAt}`
  return account.historyGap ? `history missing checkpoints ${account.historyGap.from}..${account.historyGap.to}` : ''
}
