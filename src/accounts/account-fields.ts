// What makes an account's email, address and label acceptable. Used by `accounts add` and by
// every row of `accounts import`, so both reject the same things with the same words.
import {isSuiAddress, normalizeAddress} from '../sui/identifiers.ts'

export interface AccountInput {
  readonly email: string
  readonly address: string
  readonly label: string | null
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const MAX_LABEL = 200

/** Normalized input, or the reason it is not acceptable. */
export function checkAccountInput(raw: {email?: string; address?: string; label?: string}): AccountInput | string {
  const email = (raw.email ?? '').trim().toLowerCase()
  const address = (raw.address ?? '').trim()
  const label = (raw.label ?? '').trim()
  if (!email) return 'email is missing'
  if (!EMAIL_PATTERN.test(email) || email.length > 320) return `email ${JSON.stringify(email)} is not an email address`
  if (!address) return 'address is missing'
  if (!isSuiAddress(address)) return `address ${JSON.stringify(address)} is not a Sui address (0x followed by 1 to 64 hex digits)`
  if (label.length > MAX_LABEL) return `label is longer than ${MAX_LABEL} characters`
  return {email, address: normalizeAddress(address), label: label || null}
}
