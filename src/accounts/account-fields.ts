// What makes an account's email, address and label acceptable. Used by `accounts add` and by
// every row of `accounts import`, so both reject the same things with the same words.
import {isSuiAddress, normalizeAddress} from '../sui/identifiers.ts'

export interface AccountInput {
  readonly email: string
  readonly address: string
  readonly label: string | null
}

// Control and format characters (ESC, bidi overrides) are no part of an address, and would reach
// the terminal of whoever lists or is told about the account.
const EMAIL_PATTERN = /^[^\s@\p{Cc}\p{Cf}]+@[^\s@\p{Cc}\p{Cf}]+\.[^\s@\p{Cc}\p{Cf}]+$/u
const MAX_LABEL = 200
/** Longest part of a rejected value repeated in a message: enough to recognise it, never a screenful. */
const SHOWN_CHARS = 80

/** Normalized input, or the reason it is not acceptable. */
export function checkAccountInput(raw: {email?: string; address?: string; label?: string}): AccountInput | string {
  const email = (raw.email ?? '').trim().toLowerCase()
  const address = (raw.address ?? '').trim()
  const label = (raw.label ?? '').trim()
  if (!email) return 'email is missing'
  if (!EMAIL_PATTERN.test(email) || email.length > 320) return `email ${shown(email)} is not an email address`
  if (!address) return 'address is missing'
  if (!isSuiAddress(address)) return `address ${shown(address)} is not a Sui address (0x followed by 1 to 64 hex digits)`
  if (label.length > MAX_LABEL) return `label is longer than ${MAX_LABEL} characters`
  if (/\p{Cc}/u.test(label)) return 'label contains control characters'
  return {email, address: normalizeAddress(address), label: label || null}
}

/**
 * A value as a message repeats it: quoted and escaped, so control characters from a file cannot
 * reach the operator's terminal, and cut short, so one huge field cannot flood the output.
 */
export function shown(value: string): string {
  const quoted = JSON.stringify(value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}…` : value)
  // JSON escapes only the C0 controls; C1 ones (0x9b starts an escape sequence on some terminals)
  // and format characters such as bidi overrides are escaped here.
  return quoted.replace(/[\p{Cc}\p{Cf}]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`)
}
