// The wait between two rounds of a loop that runs until stopped (a poll interval, a standby's next
// look, a retry's delay): it ends early when the stop comes and never throws, so the loop's own
// `while (!signal.aborted)` decides what a stop means.
import {sleep} from './sleep.ts'

/** Resolves after `ms`, or at once when `signal` aborts (before or during the wait). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, signal).catch(() => undefined)
}
