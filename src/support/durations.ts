// Durations as operators write them, for command flags (cli/durations.ts) and settings alike. One
// rule for both: a duration carries its unit. A bare number is seconds to some tools and
// milliseconds to others (PostgreSQL's statement_timeout = 30 is 30 ms), so confio guesses neither.

const UNIT_MS = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000} as const

/** `2s`, `500ms`, `1m`, `1h`, `30d` as milliseconds; anything else, a bare number included, is undefined. */
export function parseDuration(input: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(input.trim())
  if (!match) return undefined
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
}

/** Why `input` is not a duration, for an error line: a bare number is told which units to add. */
export function notADuration(input: string): string {
  const bare = input.trim()
  if (/^\d+(?:\.\d+)?$/.test(bare)) return `${JSON.stringify(input)} has no unit; write ${bare}s, ${bare}ms or ${bare}m`
  return `${JSON.stringify(input)} is not a duration; use e.g. 2s, 500ms or 1m`
}

/** As an operator writes it: 60000 -> `60s`, 300000 -> `5m`, 7200000 -> `2h`, 2500 -> `2500ms`. */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0 || ms === 0) return `${ms}ms`
  for (const unit of ['d', 'h'] as const) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`
  return ms > 60_000 && ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`
}
