// What `confio accounts import` prints on stdout: a line per account updated, saying what it
// replaced, then the counts. (Each bad line goes to stderr as the command meets it.)
import {shown} from '../../src/accounts/account-fields.ts'
import type {AccountUpdate, ImportResult} from '../../src/accounts/account-import.ts'
import {counted} from '../../src/support/counted.ts'

export function renderAccountImport(file: string, result: ImportResult): string {
  const {rows, inserted, updated, unchanged, skipped} = result
  const summary = `Imported ${file}: ${inserted} added, ${updated} updated, ${unchanged} unchanged, ${skipped} skipped (${counted(rows, 'data line')}).`
  return [...result.updates.map(updateLine), summary].join('\n')
}

/** `line 3: updated account 7 (0x…): email "bo@old.io" -> "bo@new.io"`: an update says what it replaced. */
function updateLine(update: AccountUpdate): string {
  const value = (text: string | null) => (text === null ? 'none' : shown(text))
  const changes = [
    ...(update.email ? [`email ${value(update.email.from)} -> ${value(update.email.to)}`] : []),
    ...(update.label ? [`label ${value(update.label.from)} -> ${value(update.label.to)}`] : []),
    ...(update.restored ? ['monitored again (it had been removed)'] : []),
  ]
  return `line ${update.line}: updated account ${update.accountId} (${update.address}): ${changes.join(', ')}`
}
