// Amounts are u64 base units: bigint in code, numeric in SQL, strings in JSON. This is the one
// place that converts between base units and the decimal strings people read and type.
import {UsageError} from '../errors.ts'

export const U64_MAX = 18_446_744_073_709_551_615n

export class AmountError extends UsageError {}

export interface AmountRules {
  /** Balance changes are signed; balances and transfers are not. */
  readonly allowNegative?: boolean
}

/** "1.5" with 6 decimals -> 1_500_000n. */
export function toBaseUnits(display: string, decimals: number, rules: AmountRules = {}): bigint {
  const text = display.trim()
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text)
  if (!match) throw new AmountError(`amount ${JSON.stringify(display)} is not a decimal number`, {remedy: 'write it like 12.5'})
  const [, sign = '', whole = '', fraction = ''] = match
  if (fraction.length > decimals) {
    throw new AmountError(`amount ${text} has ${fraction.length} decimals; this token has ${decimals}`, {remedy: `round it to ${decimals} decimals`})
  }
  const magnitude = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0')
  return checkRange(sign === '-' ? -magnitude : magnitude, text, rules)
}

/** A base-unit integer from text (SQL numeric, JSON, proto strings) or a bigint. */
export function parseBaseUnits(value: string | bigint, rules: AmountRules = {}): bigint {
  if (typeof value === 'bigint') return checkRange(value, value.toString(), rules)
  const text = value.trim()
  if (!/^-?\d+$/.test(text)) throw new AmountError(`amount ${JSON.stringify(value)} is not a whole number of base units`)
  return checkRange(BigInt(text), text, rules)
}

/** 1_500_000n with 6 decimals -> "1.5"; never rounds. */
export function formatAmount(base: bigint, decimals: number): string {
  const negative = base < 0n
  const digits = (negative ? -base : base).toString().padStart(decimals + 1, '0')
  const whole = digits.slice(0, digits.length - decimals)
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}

/** SUI's decimals: 1 SUI is 10^9 MIST. */
export const SUI_DECIMALS = 9

/** 1_500_000n of a 6-decimal CUSD -> "1.5 CUSD". */
export function formatTokenAmount(base: bigint, token: {readonly symbol: string; readonly decimals: number}): string {
  return `${formatAmount(base, token.decimals)} ${token.symbol}`
}

/** Gas and other SUI amounts in MIST: 1_500_000n -> "0.0015 SUI". */
export function formatSui(mist: bigint): string {
  return formatTokenAmount(mist, {symbol: 'SUI', decimals: SUI_DECIMALS})
}

function checkRange(value: bigint, text: string, rules: AmountRules): bigint {
  if (value < 0n && !rules.allowNegative) throw new AmountError(`amount ${text} is negative`, {remedy: 'amounts here must be 0 or more'})
  const magnitude = value < 0n ? -value : value
  if (magnitude > U64_MAX) throw new AmountError(`amount ${text} is above the u64 limit of ${U64_MAX} base units`)
  return value
}
