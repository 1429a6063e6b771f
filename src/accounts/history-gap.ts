// Which part of an account's guaranteed history is not stored yet: monitored_from up to the
// checkpoint before live_from (where the poller began deciding with the account in its set), less
// what a separate read has filled (filled_through). See migration 20261129050000_account_coverage.
// (The poller finds the accounts concerned with the same rule in SQL: src/ingest/account-coverage.ts.)

export interface AccountCoverage {
  readonly monitoredFrom: bigint | null
  readonly liveFrom: bigint | null
  readonly filledThrough: bigint | null
}

export function historyGap(coverage: AccountCoverage): {from: bigint; to: bigint} | null {
  const {monitoredFrom, liveFrom, filledThrough} = coverage
  if (monitoredFrom === null || liveFrom === null) return null
  const from = filledThrough !== null && filledThrough + 1n > monitoredFrom ? filledThrough + 1n : monitoredFrom
  const to = liveFrom - 1n
  return from <= to ? {from, to} : null
}

/** Numeric columns as pg returns them (strings). */
export function coverageOf(row: {monitored_from: string | null; live_from: string | null; filled_through: string | null}): AccountCoverage {
  const big = (value: string | null) => (value === null ? null : BigInt(value))
  return {monitoredFrom: big(row.monitored_from), liveFrom: big(row.live_from), filledThrough: big(row.filled_through)}
}
