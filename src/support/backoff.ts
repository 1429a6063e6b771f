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
