// Sui addresses, package ids and coin types in the one form confio stores and compares:
// 0x + 64 lowercase hex, and struct tags whose address part is in that form. The chain and
// operators both write short forms (0x2::sui::SUI), so every value is normalized on the way in.
import {isValidTransactionDigest, normalizeStructTag, normalizeSuiAddress, parseStructTag} from '@mysten/sui/utils'

const ADDRESS_PATTERN = /^0x[0-9a-fA-F]{1,64}$/

export function isSuiAddress(value: string): boolean {
  return ADDRESS_PATTERN.test(value)
}

/** A transaction digest as Sui writes it: base58 of 32 bytes. */
export function isTransactionDigest(value: string): boolean {
  return value.length <= 44 && isValidTransactionDigest(value)
}

/** 0x + 1..64 hex in, 0x + 64 lowercase hex out; throws on anything else. */
export function normalizeAddress(value: string): string {
  const trimmed = value.trim()
  if (!isSuiAddress(trimmed)) throw new TypeError(`not a Sui address: expected 0x followed by 1 to 64 hex digits`)
  return normalizeSuiAddress(trimmed.toLowerCase())
}

/** `<address>::<module>::<Name>` with optional type arguments, the address part normalized. */
export function normalizeCoinType(value: string): string {
  const trimmed = value.trim()
  let tag
  try {
    tag = parseStructTag(trimmed)
  } catch {
    throw new TypeError(`not a Move type: expected <address>::<module>::<Name>`)
  }
  if (!isSuiAddress(trimmed.split('::')[0] ?? '')) {
    throw new TypeError(`not a Move type: its address must be 0x followed by 1 to 64 hex digits`)
  }
  return normalizeStructTag(tag)
}

/** The package id a coin or event type belongs to. */
export function packageOfType(type: string): string {
  return normalizeAddress(type.split('::')[0] ?? '')
}

export const SUI_COIN_TYPE = normalizeCoinType('0x2::sui::SUI')
