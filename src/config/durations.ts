// Durations as operators write them, for command flags (cli/durations.ts) and settings alike.

const UNIT_MS = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000} as const

/** `2s`, `500ms`, `1m`, `1h`, `30d` or a bare number of seconds, as milliseconds. */
export function parseDuration(input: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(input.trim())
  if (!match) return undefined
  return Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS])
}

/** As an operator writes it: 60000 -> `60s`, 300000 -> `5m`, 7200000 -> `2h`, 2500 -> `2500ms`. */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0 || ms === 0) return `${ms}ms`
  for (const unit of ['d', 'h'] as const) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`
  return ms > 60_000 && ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`
}
