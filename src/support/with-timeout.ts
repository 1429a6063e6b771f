// A client-side deadline for a promise that may never settle (a server or network that does not
// answer at all, where a server-side timeout cannot help).

/** Rejects with `<message> within <ms> ms` when `promise` takes longer (it is not cancelled). */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
