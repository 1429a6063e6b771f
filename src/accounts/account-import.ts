// `confio accounts import`: one transaction, idempotent. Rows are matched by address: a new
// address is inserted, a known one updated only where its email or label differ (or it was
// removed), so importing the same file twice changes nothing the second time. Every data line
// ends up counted once: inserted, updated, unchanged, or skipped with its reason. An update is
// never silent: each names the account and the old and new values (an address written in another
// case is the same account, so a line may change the email of an account the operator did not
// expect).
import {UsageError} from '../errors.ts'
import type {Database} from '../store/database.ts'
import type {CsvProblem, CsvRow, ParsedCsv} from './account-csv.ts'
import {lockAccounts} from './account-repository.ts'

export interface ImportResult {
  /** Data lines read (the header and blank lines excluded) = inserted + updated + unchanged + skipped. */
  readonly rows: number
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  readonly skipped: number
  /** The skipped lines, in line order, each with its reason. */
  readonly invalid: CsvProblem[]
  /** The updated accounts, in line order, each with what changed. */
  readonly updates: AccountUpdate[]
}

/** What one line changed of an account that was there: a value is null when it stayed as it was. */
export interface AccountUpdate {
  readonly line: number
  readonly accountId: string
  readonly address: string
  readonly email: {from: string | null; to: string} | null
  readonly label: {from: string | null; to: string | null} | null
  /** The account had been removed and is monitored again. */
  readonly restored: boolean
}

interface ExistingRow {
  id: string
  email: string | null
  sui_address: string
  label: string | null
  deleted_at: Date | null
}

/** Thrown when any line is bad and --skip-invalid is off; `problems` names every bad line. */
export class InvalidRowsError extends UsageError {
  readonly problems: CsvProblem[]

  constructor(problems: CsvProblem[]) {
    const first = problems[0]
    super(`${problems.length} bad row(s), nothing imported; first: line ${first?.line}: ${first?.reason}; bad lines: ${lineList(problems)}`, {
      remedy: 'fix the rows or pass --skip-invalid to import the good ones',
    })
    this.problems = problems
  }
}

/** The error's one line is all a --json caller gets (oclif silences stderr then): name them all, up to a point. */
function lineList(problems: CsvProblem[], limit = 20): string {
  const listed = problems.slice(0, limit).map((p) => p.line).join(', ')
  return problems.length > limit ? `${listed} and ${problems.length - limit} more` : listed
}

export async function importAccounts(db: Database, parsed: ParsedCsv, options: {skipInvalid: boolean}): Promise<ImportResult> {
  return db.transaction(async (trx) => {
    await lockAccounts(trx)
    // Checked against the table even when the file already has bad lines, so a refusal names
    // every bad line at once instead of one kind per attempt.
    const existing = await findExisting(trx, parsed.rows)
    const invalid = [...parsed.problems]
    const inserts: CsvRow[] = []
    const updates: {existing: ExistingRow; row: CsvRow}[] = []
    let unchanged = 0
    for (const row of parsed.rows) {
      const {account} = row
      const sameAddress = existing.byAddress.get(account.address)
      const sameEmail = existing.byEmail.get(account.email)
      if (sameEmail && sameEmail.sui_address !== account.address) {
        invalid.push({line: row.line, reason: `email ${account.email} already belongs to account ${sameEmail.id} (${sameEmail.sui_address})`})
      } else if (!sameAddress) {
        inserts.push(row)
      } else if (sameAddress.email !== account.email || sameAddress.label !== account.label || sameAddress.deleted_at) {
        updates.push({existing: sameAddress, row})
      } else {
        unchanged++
      }
    }
    invalid.sort((a, b) => a.line - b.line)
    if (invalid.length > 0 && !options.skipInvalid) throw new InvalidRowsError(invalid)
    await insertRows(trx, inserts)
    await updateRows(trx, updates)
    return {rows: parsed.dataLines, inserted: inserts.length, updated: updates.length, unchanged, skipped: invalid.length, invalid, updates: updates.map(updateOf)}
  })
}

function updateOf({existing, row}: {existing: ExistingRow; row: CsvRow}): AccountUpdate {
  const {email, label} = row.account
  return {
    line: row.line,
    accountId: String(existing.id),
    address: existing.sui_address,
    email: existing.email === email ? null : {from: existing.email, to: email},
    label: existing.label === label ? null : {from: existing.label, to: label},
    restored: existing.deleted_at !== null,
  }
}

async function findExisting(trx: Database, rows: CsvRow[]) {
  const found = await trx<ExistingRow>('accounts')
    .select('id', 'email', 'sui_address', 'label', 'deleted_at')
    .whereRaw('sui_address = ANY(?)', [rows.map((r) => r.account.address)])
    .orWhereRaw('email = ANY(?)', [rows.map((r) => r.account.email)])
  return {
    byAddress: new Map(found.map((r) => [r.sui_address, r])),
    byEmail: new Map(found.filter((r) => r.email !== null).map((r) => [r.email as string, r])),
  }
}

// unnest() sends a whole column per parameter: one statement for thousands of rows.
async function insertRows(trx: Database, rows: CsvRow[]): Promise<void> {
  if (rows.length === 0) return
  await trx.raw(
    `INSERT INTO accounts (email, sui_address, label)
     SELECT * FROM unnest(?::text[], ?::text[], ?::text[])`,
    [rows.map((r) => r.account.email), rows.map((r) => r.account.address), nullable(rows.map((r) => r.account.label))],
  )
}

async function updateRows(trx: Database, updates: {existing: ExistingRow; row: CsvRow}[]): Promise<void> {
  if (updates.length === 0) return
  await trx.raw(
    `UPDATE accounts AS a SET email = u.email, label = u.label, deleted_at = NULL
     FROM unnest(?::bigint[], ?::text[], ?::text[]) AS u(id, email, label)
     WHERE a.id = u.id`,
    [updates.map((u) => u.existing.id), updates.map((u) => u.row.account.email), nullable(updates.map((u) => u.row.account.label))],
  )
}

// pg sends null array elements as SQL NULL; knex's binding types just do not say so.
function nullable(values: (string | null)[]): string[] {
  return values as string[]
}
