// Reads an accounts CSV (header `email,address,label`, label optional) into checked rows and bad
// lines, each kept with its line number so an operator can find and fix it. Every non-blank line
// after the header ends up in exactly one of the two.
//
// A record is one physical line. This format has no use for a quoted field spanning lines, and
// holding to physical lines is what lets a malformed line fail alone: csv-parse over the whole
// text carries an unbalanced quote into the lines after it (skip_records_with_error does not
// resynchronise), so one stray `"` used to take every later line with it.
import {parse} from 'csv-parse/sync'
import {UsageError} from '../errors.ts'
import {type AccountInput, checkAccountInput, shown} from './account-fields.ts'

export interface CsvRow {
  readonly line: number
  readonly account: AccountInput
}

export interface CsvProblem {
  readonly line: number
  readonly reason: string
}

export interface ParsedCsv {
  /** Non-blank lines after the header: rows.length + problems.length. */
  readonly dataLines: number
  readonly rows: CsvRow[]
  readonly problems: CsvProblem[]
}

export const ACCOUNTS_CSV_HEADER = 'email,address,label'
const COLUMNS = ['email', 'address', 'label']
const REQUIRED = ['email', 'address']
const FORMAT = `UTF-8 CSV text whose first line is the header ${ACCOUNTS_CSV_HEADER} (label optional)`

/**
 * Parses the file's bytes. A file that cannot be read as a whole (not text, empty, no header)
 * throws a UsageError naming `source`; a bad data line becomes a problem and the others go on.
 */
export function parseAccountsCsv(bytes: Uint8Array, source: string): ParsedCsv {
  const lines = decodeText(bytes, source).split(/\r\n|\r|\n/)
  const headerIndex = lines.findIndex((text) => text.trim() !== '')
  if (headerIndex < 0) throw new UsageError(`${source} is empty`, {remedy: `expected ${FORMAT}`})
  const columns = readHeader(lines[headerIndex] ?? '', headerIndex + 1)

  let dataLines = 0
  const rows: CsvRow[] = []
  const problems: CsvProblem[] = []
  const firstLineOf = new Map<string, number>()
  for (let index = headerIndex + 1; index < lines.length; index++) {
    const text = lines[index] ?? ''
    if (text.trim() === '') continue
    dataLines++
    const line = index + 1
    const record = splitLine(text)
    if (typeof record === 'string') {
      problems.push({line, reason: record})
      continue
    }
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
  return {dataLines, rows, problems}
}

// Checked before any of the content is repeated back: a binary file's bytes would garble the
// terminal. A UTF-16 export (Excel's "Unicode text") is caught by its NUL bytes.
function decodeText(bytes: Uint8Array, source: string): string {
  const notText = (why: string) => new UsageError(`${source} is not a text file: ${why}`, {remedy: `expected ${FORMAT}`})
  if (bytes.includes(0)) throw notText('it contains NUL bytes')
  try {
    // Drops a byte order mark, which spreadsheet exports often start with.
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    throw notText('it is not valid UTF-8')
  }
}

function readHeader(text: string, line: number): string[] {
  const record = splitLine(text)
  const columns = typeof record === 'string' ? [] : record.map((name) => name.toLowerCase())
  const missing = REQUIRED.filter((name) => !columns.includes(name))
  const unknown = columns.filter((name) => !COLUMNS.includes(name))
  const repeated = columns.filter((name, i) => columns.indexOf(name) !== i)
  if (missing.length > 0 || unknown.length > 0 || repeated.length > 0) {
    throw new UsageError(`line ${line}: the header must be "${ACCOUNTS_CSV_HEADER}" (label optional, any order); found ${shown(text)}`, {
      remedy: 'make the first line name the columns',
    })
  }
  return columns
}

/** The trimmed fields of one line, or why the line is not CSV. */
function splitLine(text: string): string[] | string {
  // Without a quote a line is plain comma-separated fields. csv-parse is needed only for the lines
  // that quote something, and costs ~50 µs a call: too much for every line of a 10,000-row file.
  if (!text.includes('"')) return text.split(',').map((field) => field.trim())
  try {
    const [record] = parse(text, {trim: true, relax_column_count: true}) as string[][]
    return record ?? []
  } catch (error) {
    return csvSyntaxReason((error as {code?: unknown}).code)
  }
}

// csv-parse's own messages say "at line 1" (it only ever sees this line) and repeat the field.
function csvSyntaxReason(code: unknown): string {
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'not valid CSV: a quoted field is not closed on this line'
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'not valid CSV: a quote in the middle of a field (a field with quotes must be quoted whole, its quotes doubled)'
    default:
      return 'not valid CSV'
  }
}
