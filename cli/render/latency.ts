/** Milliseconds as read in a table: µs below 0.1 ms, where a memory hit lives. */
export function formatLatency(value: number): string {
  if (value < 0.1) return `${(value * 1000).toFixed(1)} µs`
  if (value < 10) return `${value.toFixed(3)} ms`
  return `${value.toFixed(1)} ms`
}
