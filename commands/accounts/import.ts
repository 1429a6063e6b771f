import {readFile} from 'node:fs/promises'
import {Args, Flags} from '@oclif/core'
import {BackfillCommand, backfillCheckpointFlag, backfillSinceFlag, backfillSourceFlag, backfillStart} from '../../cli/backfill-parts.ts'
import {renderAccountImport} from '../../cli/render/account-import-screen.ts'
import {ACCOUNTS_CSV_HEADER, type CsvProblem, parseAccountsCsv} from '../../src/accounts/account-csv.ts'
import {AccountRepository} from '../../src/accounts/account-repository.ts'
import {type ImportResult, importAccounts, InvalidRowsError} from '../../src/accounts/account-import.ts'
import {UsageError} from '../../src/errors.ts'
import type {BackfillReport} from '../../src/ingest/account-backfill.ts'

export default class AccountsImport extends BackfillCommand<typeof AccountsImport> {
  static override summary = 'Import accounts from a CSV file with the header email,address,label.'
  // oclif keeps the line breaks of a description and wraps it again at the terminal's width, so
  // each paragraph is one line here.
  static override description = `The first line names the columns, in any order (label may be left out). A field holding a comma is quoted; an address may be written short, like 0x5f, and is stored padded to 64 hex digits:

  email,address,label
  ana@example.com,0x7d20dcdb2bca4f50,Ana
  bo@example.com,0x5f,"Smith, Bo"

Rows are matched by address: a new one is added, a known one updated when its email or label differ (or it was removed). All rows are imported in one transaction, or none. Every bad line is reported with its line number and the reason; by default nothing is imported when any line is bad, with --skip-invalid the other lines are. Importing the same file again changes nothing.`
  static override examples = [
    {
      description: 'Import a spreadsheet export; if any line is bad, nothing is imported and each bad line is listed.',
      command: '<%= config.bin %> accounts import ./accounts.csv',
    },
    {
      description: "Import new users and store their last 30 days of transactions (see confio backfill).",
      command: '<%= config.bin %> accounts import ./accounts.csv --backfill-since 30d',
    },
    {
      description: 'Import the good lines, skip the bad ones, and get the counts and skipped lines as JSON.',
      command: '<%= config.bin %> accounts import ./accounts.csv --skip-invalid --json',
    },
  ]
  static override args = {
    file: Args.string({required: true, description: `Accounts CSV to import (UTF-8, header ${ACCOUNTS_CSV_HEADER}).`}),
  }
  static override flags = {
    'skip-invalid': Flags.boolean({summary: 'Import the good lines and report the bad ones.'}),
    'backfill-from': backfillCheckpointFlag,
    'backfill-since': backfillSinceFlag,
    'backfill-source': backfillSourceFlag,
  }

  async run(): Promise<ImportResult & {backfill?: BackfillReport}> {
    const start = backfillStart({checkpoint: this.flags['backfill-from'], sinceMs: this.flags['backfill-since']}, {checkpoint: 'backfill-from', since: 'backfill-since'})
    const {file} = this.args
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`, {remedy: 'check the path'})
    })
    const parsed = parseAccountsCsv(bytes, file)
    // The backfill's queue needs Redis: checked before anything is imported, not after.
    if (start) await this.redis()
    const result = await importAccounts(await this.db(), parsed, {skipInvalid: this.flags['skip-invalid']}).catch((error: unknown) => {
      // The error's one line gives the first reason and the line numbers; here each line gets its own.
      // (oclif mutes stderr under --json.)
      if (error instanceof InvalidRowsError) this.showProblems(error.problems)
      throw error
    })
    if (!this.jsonEnabled()) {
      this.showProblems(result.invalid)
      this.log(renderAccountImport(file, result))
    }
    if (!start) return result
    // The file's accounts, once imported (a skipped line's address is not among them).
    const imported = await new AccountRepository(await this.db()).activeAt(parsed.rows.map((row) => row.account.address))
    const accounts = imported.map(({id, address, email}) => ({id, address, email}))
    const backfill = await this.backfill(accounts, start, this.flags['backfill-source'])
    return {...result, backfill}
  }

  private showProblems(problems: CsvProblem[]): void {
    for (const {line, reason} of problems) this.logToStderr(`line ${line}: ${reason}`)
  }
}
