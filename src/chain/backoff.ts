// Capped exponential backoff with "full jitter": the delay before retry n is uniform in
// [0, min(max, base·2^(n-1))]. Jitter matters more than the curve: without it every confio
// process that lost the same node retries in lockstep and knocks it over again.

export interface BackoffPolicy {
  baseMs: number
  maxMs: number
}

/** Delay before the retry that follows failed attempt number `attempt` (1-based). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.floor(random() * ceiling)
}

/** A wait as a log line says it, to a tenth of a second: 113 -> `0.1 s`, 27451 -> `27.5 s`. */
export function formatWait(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}
