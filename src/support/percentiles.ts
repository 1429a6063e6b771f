// Nearest-rank percentiles, for the latency figures test-connection and test-balance report.

/** The p-th percentile (0-100) of samples sorted ascending; 0 for none. */
export function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0
}
