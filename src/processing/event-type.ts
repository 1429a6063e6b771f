// Splits a Move event type into the parts confio routes on. Routing compares whole normalized
// values (package id, module, struct name), never substrings: the system confio replaces routed
// on a substring of a package id and no handler ever ran.
import {parseStructTag} from '@mysten/sui/utils'
import {normalizeAddress} from '../sui/identifiers.ts'

export interface EventTypeParts {
  /** 0x + 64 lowercase hex. */
  readonly package: string
  readonly module: string
  /** The struct name without type arguments, e.g. PaymentMade. */
  readonly name: string
}

/** undefined when the text is not a Move struct type. */
export function parseEventType(type: string): EventTypeParts | undefined {
  try {
    const tag = parseStructTag(type.trim())
    return {package: normalizeAddress(tag.address), module: tag.module, name: tag.name}
  } catch {
    return undefined
  }
}

export function moduleKey(pkg: string, module: string): string {
  return `${pkg}::${module}`
}
