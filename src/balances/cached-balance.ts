// A balance as every cache level holds it: the balances row's state at one version. The same
// record is read from PostgreSQL, kept in Redis and in process memory, so a value can always be
// told apart from an older copy of itself (the version) and from a value that must not be
// trusted (stale, or no base checkpoint).
//
// Redis value: one string, `generation|version|amount|pending|base|stale|syncedAtMs`, e.g.
// `1765000000000|7|1250000|0|41234567|0|1764422400000`; base and syncedAtMs are empty when
// unknown. A plain string keeps a cache hit one GET, and the generation (cache-generation.ts) and
// version lead so the write script can compare them without parsing the rest.
import type {BalanceKey} from './balance-keys.ts'

export interface CachedBalance extends BalanceKey {
  /** Base units: coin objects plus address balance, as of `checkpoint` and every change after. */
  readonly amount: bigint
  /** Committed to by in-flight sends and not yet seen on chain. */
  readonly pending: bigint
  /** The base: the checkpoint the amount was read from the chain at; null when never read. */
  readonly checkpoint: bigint | null
  readonly version: bigint
  /** Marked stale (a change could not be applied, or an operator asked): read the chain. */
  readonly stale: boolean
  /** When the amount was last set from the chain (ms since the epoch); null when never. */
  readonly syncedAtMs: number | null
}

/** A value that may be served as it is: not stale, and anchored to a checkpoint. */
export function isTrusted(balance: CachedBalance): boolean {
  return !balance.stale && balance.checkpoint !== null
}

export function encodeCachedBalance(balance: CachedBalance, generation: bigint): string {
  return [generation, balance.version, balance.amount, balance.pending, balance.checkpoint ?? '', balance.stale ? 1 : 0, balance.syncedAtMs ?? ''].join('|')
}

/** undefined for a value of another generation, or not in this format (another version of confio wrote it). */
export function decodeCachedBalance(key: BalanceKey, value: string, generation: bigint): CachedBalance | undefined {
  const parts = value.split('|')
  if (parts.length !== 7 || parts[0] !== String(generation)) return undefined
  const [, version, amount, pending, checkpoint, stale, syncedAtMs] = parts as [string, string, string, string, string, string, string]
  if (!DIGITS.test(version) || !DIGITS.test(amount) || !DIGITS.test(pending) || (checkpoint !== '' && !DIGITS.test(checkpoint)) || (stale !== '0' && stale !== '1')) return undefined
  if (syncedAtMs !== '' && !DIGITS.test(syncedAtMs)) return undefined
  return {
    accountId: key.accountId,
    token: key.token,
    version: BigInt(version),
    amount: BigInt(amount),
    pending: BigInt(pending),
    checkpoint: checkpoint === '' ? null : BigInt(checkpoint),
    stale: stale === '1',
    syncedAtMs: syncedAtMs === '' ? null : Number(syncedAtMs),
  }
}

const DIGITS = /^\d{1,39}$/
