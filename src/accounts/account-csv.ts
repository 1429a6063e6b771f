// Reads an accounts CSV (header `email,address,label`, label optional) into checked rows, each
// kept with its line number so an operator can find and fix it.
import {parse} from 'csv-parse/sync'
import {type AccountInput, checkAccountInput} from './account-fields.ts'

export interface CsvRow {
  readonly line: number
  readonly account: AccountInput
}

export interface CsvProblem {
  readonly line: number
  readonly reason: string
}

export interface ParsedCsv {
  readonly rows: CsvRow[]
  readonly problems: CsvProblem[]
}

const REQUIRED = ['email', 'address'] as const

export function parseAccountsCsv(text: string): ParsedCsv {
  let records: {record: string[]; info: {lines: number}}[]
  try {
    records = parse(text, {info: true, skip_empty_lines: true, trim: true, relax_column_count: true, bom: true}) as unknown as typeof records
  } catch (error) {
    const line = (error as {lines?: number}).lines ?? 0
    return {rows: [], problems: [{line, reason: `not readable as CSV: ${(error as Error).message}`}]}
  }
  const [header, ...body] = records
  const columns = header ? header.record.map((name) => name.toLowerCase()) : []
  const headerProblem = checkHeader(columns)
  if (headerProblem) return {rows: [], problems: [{line: header?.info.lines ?? 1, reason: headerProblem}]}

  const rows: CsvRow[] = []
  const problems: CsvProblem[] = []
  const firstLineOf = new Map<string, number>()
  for (const {record, info} of body) {
    const line = info.lines
    if (record.length > columns.length) {
      problems.push({line, reason: `has ${record.length} fields; the header has ${columns.length}`})
      continue
    }
    const field = (name: string) => record[columns.indexOf(name)]
    const checked = checkAccountInput({email: field('email'), address: field('address'), label: field('label')})
    if (typeof checked === 'string') {
      problems.push({line, reason: checked})
      continue
    }
    const duplicate = firstLineOf.get(`a:${checked.address}`) ?? firstLineOf.get(`e:${checked.email}`)
    if (duplicate !== undefined) {
      problems.push({line, reason: `same address or email as line ${duplicate}`})
      continue
    }
    firstLineOf.set(`a:${checked.address}`, line)
    firstLineOf.set(`e:${checked.email}`, line)
    rows.push({line, account: checked})
  }
  return {rows, problems}
}

function checkHeader(columns: string[]): string | undefined {
  const missing = REQUIRED.filter((name) => !columns.includes(name))
  const unknown = columns.filter((name) => !['email', 'address', 'label'].includes(name))
  if (missing.length > 0 || unknown.length > 0) {
    return `the header must be "email,address,label" (label optional); found "${columns.join(',')}"`
  }
  return undefined
}
