import assert from 'node:assert/strict'
import {AmountError, formatAmount, parseBaseUnits, toBaseUnits, U64_MAX} from '../../src/tokens/amounts.ts'

describe('amounts', () => {
  it('converts display decimals to base units exactly', () => {
    assert.equal(toBaseUnits('0', 6), 0n)
    assert.equal(toBaseUnits('1.5', 6), 1_500_000n)
    assert.equal(toBaseUnits('0.000001', 6), 1n)
    assert.equal(toBaseUnits('18446744073709.551615', 6), U64_MAX)
    assert.equal(toBaseUnits('18446744073709551615', 0), U64_MAX)
    assert.equal(toBaseUnits('-2.5', 9, {allowNegative: true}), -2_500_000_000n)
  })

  it('formats base units without rounding', () => {
    assert.equal(formatAmount(0n, 6), '0')
    assert.equal(formatAmount(1n, 6), '0.000001')
    assert.equal(formatAmount(1_500_000n, 6), '1.5')
    assert.equal(formatAmount(U64_MAX, 9), '18446744073.709551615')
    assert.equal(formatAmount(-5n, 2), '-0.05')
    assert.equal(formatAmount(42n, 0), '42')
  })

  it('round-trips', () => {
    for (const base of [0n, 1n, 999_999n, 10n ** 12n, U64_MAX]) assert.equal(toBaseUnits(formatAmount(base, 6), 6), base)
  })

  it('parses base-unit text from SQL and JSON', () => {
    assert.equal(parseBaseUnits('18446744073709551615'), U64_MAX)
    assert.equal(parseBaseUnits('-7', {allowNegative: true}), -7n)
  })

  const rejects: [string, () => unknown, RegExp][] = [
    ['a negative amount', () => toBaseUnits('-1', 6), /is negative/],
    ['more decimals than the token has', () => toBaseUnits('1.0000001', 6), /has 7 decimals; this token has 6/],
    ['above u64', () => toBaseUnits('18446744073709.551616', 6), /above the u64 limit/],
    ['above u64 in base units', () => parseBaseUnits('18446744073709551616'), /above the u64 limit/],
    ['a negative beyond u64 even when signed', () => parseBaseUnits('-18446744073709551616', {allowNegative: true}), /above the u64 limit/],
    ['not a number', () => toBaseUnits('12,5', 6), /is not a decimal number/],
    ['an exponent', () => toBaseUnits('1e6', 6), /is not a decimal number/],
    ['a fraction in base units', () => parseBaseUnits('1.5'), /not a whole number of base units/],
    ['a negative bigint', () => parseBaseUnits(-1n), /is negative/],
  ]
  for (const [what, fn, pattern] of rejects) {
    it(`rejects ${what}`, () => {
      assert.throws(fn, (error: unknown) => error instanceof AmountError && error.exitCode === 2 && pattern.test(error.message))
    })
  }
})
