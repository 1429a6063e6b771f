import {readFile} from 'node:fs/promises'
import {Args, Flags} from '@oclif/core'
import {ConfioCommand} from '../../cli/base-command.ts'
import {parseAccountsCsv} from '../../src/accounts/account-csv.ts'
import {type ImportResult, importAccounts} from '../../src/accounts/account-import.ts'
import {UsageError} from '../../src/errors.ts'

export default class AccountsImport extends ConfioCommand<typeof AccountsImport> {
  static override summary = 'Import accounts from a CSV file with the header email,address,label.'
  static override description = `All rows are imported in one transaction, or none. A bad row is reported with its line
number; by default nothing is imported when any row is bad. Importing the same file again changes nothing.`
  static override examples = ['<%= config.bin %> accounts import users.csv', '<%= config.bin %> accounts import users.csv --skip-invalid --json']
  static override args = {
    file: Args.string({required: true, description: 'CSV file: email,address,label (label optional).'}),
  }
  static override flags = {
    'skip-invalid': Flags.boolean({summary: 'Import the good rows and report the bad ones.'}),
  }

  async run(): Promise<ImportResult> {
    const text = await readFile(this.args.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read ${this.args.file}: ${error.code ?? error.message}`, {remedy: 'check the path'})
    })
    const parsed = parseAccountsCsv(text)
    const result = await importAccounts(await this.db(), parsed, {skipInvalid: this.flags['skip-invalid']}).catch((error: unknown) => {
      if (!this.jsonEnabled() && error instanceof Error && 'problems' in error) this.showProblems(error.problems as ImportResult['invalid'])
      throw error
    })
    if (!this.jsonEnabled()) {
      this.showProblems(result.invalid)
      this.log(`Imported ${this.args.file}: ${result.inserted} added, ${result.updated} updated, ${result.unchanged} unchanged, ${result.invalid.length} skipped.`)
    }
    return result
  }

  private showProblems(problems: ImportResult['invalid']): void {
    for (const {line, reason} of problems) this.logToStderr(`line ${line}: ${reason}`)
  }
}
