// One process, one fate: the parts of a process that run side by side (`confio run`'s poller, beat
// and worker; a worker's transaction and beat job loops) stop together. A part that fails stops
// the others, and so does one that ends, unless each is draining its own queue (a worker's loops
// with --drain, where the one that empties first must not cut the other's work short).

/** A part: runs until `signal` is aborted (or it ends by itself), then returns what it did. */
export type Part<T> = (signal: AbortSignal) => Promise<T>

export interface RunTogetherOptions {
  /** Whether a part that ends without failing stops the others. Default true. */
  readonly oneEndsAll?: boolean
}

/**
 * Runs the parts together until all have ended, each with a signal aborted by `signal` or by the
 * rule above. The first failure, in the parts' order, is thrown once all have ended; otherwise
 * their results, in that order.
 */
export async function runTogether<const T extends readonly unknown[]>(signal: AbortSignal, parts: {readonly [K in keyof T]: Part<T[K]>}, options: RunTogetherOptions = {}): Promise<T> {
  const oneEndsAll = options.oneEndsAll ?? true
  const stop = new AbortController()
  // Aborted already when `signal` is: a listener added now would never hear a SIGINT that came
  // while the process opened its connections.
  const stopped = AbortSignal.any([signal, stop.signal])
  const ended = <R>(running: Promise<R>): Promise<R> =>
    running.then(
      (value) => {
        if (oneEndsAll) stop.abort()
        return value
      },
      (error: unknown) => {
        stop.abort()
        throw error
      },
    )
  const settled = await Promise.allSettled((parts as readonly Part<unknown>[]).map((part) => ended(part(stopped))))
  const failed = settled.find((outcome) => outcome.status === 'rejected')
  if (failed) throw failed.reason
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as unknown as T
}
