// Where a balance lives outside PostgreSQL, and how its changes travel. Every change of a balances
// row is written to its key (cached-balance.ts gives the value's format; a write lands only over a
// lower version) and announced on the channel, where every process that keeps balances in memory
// listens. Changing a format here is a breaking change for every running process: bump the `v`
// part (v1 keys were deleted on change; v2 keys carry a version and are overwritten; v3 values
// lead with the cache generation, and `confio cache reset` deletes v2 keys with the old ones).
//
//   key:     <REDIS_PREFIX>balance:v3:<accountId>:<TOKEN>     e.g. confio:balance:v3:42:CUSD
//   channel: <REDIS_PREFIX>balance-invalidations
//   message: JSON {"accountId":"42","token":"CUSD","version":"7"}, or {"generation":"…"} when
//            `confio cache reset` moved the generation on (older listeners ignore it)
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
  return `${balanceKeyPrefix(prefix)}${key.accountId}:${key.token}`
}

/** What every balance key of the current format starts with. */
export function balanceKeyPrefix(prefix: string): string {
  return `${prefix}balance:v3:`
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

/** Every balance key of every format under `prefix`, for SCAN (REDIS_PREFIX holds no glob characters). */
export function balanceKeyPattern(prefix: string): string {
  return `${prefix}balance:v*`
}

export function encodeGenerationMessage(generation: bigint): string {
  return JSON.stringify({generation: generation.toString()})
}

/** The generation a `{"generation":"…"}` message announces; undefined for any other payload. */
export function decodeGenerationMessage(payload: string): bigint | undefined {
  const match = /^\{"generation":"(\d{1,20})"\}$/.exec(payload)
  return match ? BigInt(match[1] as string) : undefined
}

/** Same account and token: the identity of one cache entry. */
export function balanceKeyId(key: BalanceKey): string {
  return `${key.accountId}:${key.token}`
}
