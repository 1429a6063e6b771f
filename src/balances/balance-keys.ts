// Where a balance lives outside PostgreSQL, and how its invalidation travels. The worker deletes
// exactly these keys when a transaction changes a balance; the balance cache (a later issue)
// reads and fills them, and every process that keeps balances in memory listens on the channel.
// Changing a format here is a breaking change for every running process: bump the `v` part.
//
//   key:     <REDIS_PREFIX>balance:<accountId>:<TOKEN>        e.g. confio:balance:42:CUSD
//   channel: <REDIS_PREFIX>balance-invalidations
//   message: JSON {"accountId":"42","token":"CUSD","digest":"<tx digest>"}
//
// accountId is accounts.id as a decimal string (bigserial: never a JS number); token is the
// registry symbol in upper case.

export interface BalanceKey {
  readonly accountId: string
  readonly token: string
}

export interface BalanceInvalidation extends BalanceKey {
  /** The transaction whose processing made the balance stale. */
  readonly digest: string
}

export function balanceCacheKey(prefix: string, key: BalanceKey): string {
  return `${prefix}balance:${key.accountId}:${key.token}`
}

export function balanceInvalidationChannel(prefix: string): string {
  return `${prefix}balance-invalidations`
}

export function encodeInvalidation(message: BalanceInvalidation): string {
  return JSON.stringify({accountId: message.accountId, token: message.token, digest: message.digest})
}

/** undefined for anything that is not an invalidation (another writer on the channel, a bad payload). */
export function decodeInvalidation(payload: string): BalanceInvalidation | undefined {
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    return undefined
  }
  const {accountId, token, digest} = (value ?? {}) as Record<string, unknown>
  if (typeof accountId !== 'string' || !/^\d+$/.test(accountId) || typeof token !== 'string' || typeof digest !== 'string') return undefined
  return {accountId, token, digest}
}

/** Same account and token: the identity of one cache entry. */
export function balanceKeyId(key: BalanceKey): string {
  return `${key.accountId}:${key.token}`
}
