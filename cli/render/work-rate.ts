// How far counted work is, with its rate and the time left: `120/500 accounts, 40/s, about 9s left`.
// One formatter for every command that counts its work (reconcile, backfill, the benchmark's reads),
// live or plain.
import {formatDuration} from '../durations.ts'

export function workRate(done: number, total: number, elapsedMs: number, unit: string): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0
  const eta = rate > 0 ? formatDuration(Math.max(1, Math.round((total - done) / rate)) * 1000) : '?'
  return `${done}/${total} ${unit}, ${rate.toFixed(0)}/s, ${done < total ? `about ${eta} left` : 'done'}`
}
