// What a long-running part waits on while it serves: the signal that tells it to stop.

/** Resolves with the signal's reason once it is aborted (at once when it already is). */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason)
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), {once: true}))
}
