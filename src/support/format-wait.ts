// How log lines and reports write a wait or an elapsed time: seconds, to a tenth.

/** `ms` to a tenth of a second: 113 -> `0.1 s`, 27451 -> `27.5 s`. */
export function formatWait(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}
