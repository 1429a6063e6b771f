// Where a balance lives outside PostgreSQL, and how its changes travel. Every change of a balances
// row is written to its key (cached-balance.ts gives the value's format; a write lands only over a
// lower version) and announced on the channel, where every process that keeps balances in memory
// listens. Changing a format here is a breaking change for every running process: bump the `v`
// part (v1 keys were deleted on change; v2 keys carry a version and are overwritten).
//
//   key:     <REDIS_PREFIX>balance:v2:<accountId>:<TOKEN>     e.g. confio:balance:v2:42:CUSD
//   channel: <REDIS_PREFIX>balance-invalidations
//   message: JSON {"accountId":"42","token":"CUSD","version":"7"}
//
// accountId is accounts.id as a decimal string (bigserial: never a JS number); token is the
// registry symbol in upper case.

export interface BalanceKey {
  readonly accountId: string
  readonly token: string
}

export interface BalanceInvalidation extends BalanceKey {
  /** The row's version after the change: a copy at this version or later is current. */
  readonly version: bigint
}

export function balanceCacheKey(prefix: string, key: BalanceKey): string {
  return `${prefix}balance:v2:${key.accountId}:${key.token}`
}

export function balanceInvalidationChannel(prefix: string): string {
  return `${prefix}balance-invalidations`
}

export function encodeInvalidation(message: BalanceInvalidation): string {
  return JSON.stringify({accountId: message.accountId, token: message.token, version: message.version.toString()})
}

/** undefined for anything that is not an invalidation (another writer on the channel, a bad payload). */
export function decodeInvalidation(payload: string): BalanceInvalidation | undefined {
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    return undefined
  }
  const {accountId, token, version} = (value ?? {}) as Record<string, unknown>
  if (typeof accountId !== 'string' || !/^\d+$/.test(accountId) || typeof token !== 'string' || typeof version !== 'string' || !/^\d{1,20}$/.test(version)) return undefined
  return {accountId, token, version: BigInt(version)}
}

/** Same account and token: the identity of one cache entry. */
export function balanceKeyId(key: BalanceKey): string {
  return `${key.accountId}:${key.token}`
}
