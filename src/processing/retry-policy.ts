// When a failed job runs again. Defaults are those of the system confio replaces (3 attempts,
// 60 s × attempt before the next), plus a stall limit bee-queue lacks: a transaction that kills
// its worker every time (a poison transaction) would otherwise come back forever, crashing one
// worker after another.

export interface RetryPolicy {
  /** Runs in all, the first included; after the last failure the job is `failed`. */
  readonly maxAttempts: number
  /** The wait before run n+1 is retryDelayMs × n. */
  readonly retryDelayMs: number
  /** Runs that may die mid-job; the next run marks the job failed instead of trying it. */
  readonly stallLimit: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({maxAttempts: 3, retryDelayMs: 60_000, stallLimit: 3})

/** The wait before the next run, or undefined when `attempts` runs are all this job gets. */
export function nextRetryDelay(policy: RetryPolicy, attempts: number): number | undefined {
  return attempts < policy.maxAttempts ? policy.retryDelayMs * attempts : undefined
}

/** A failure another run cannot fix (the stored event is unusable): no retry. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError'
}
